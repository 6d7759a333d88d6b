//! Wording of attribute preservation's problems ([`crate::meta`]): owner, mode, times, ACLs and xattrs.
