//! GNU cp's order-dependent flags: the last of `-L`/`-P`/`-H`/`-a`/`-d` chooses which symbolic
//! links are followed, and `--preserve`, `--no-preserve`, `-p`, `-a`, `-d` apply in order.

use super::{Deref, UsageError};
use crate::cli::{Args, FlagPositions};
use crate::meta::{Attrs, Preserve};

/// The position of the last occurrence of a flag on the command line (0: not given).
fn last_index(m: &FlagPositions, id: &str, given: bool) -> usize {
    if !given {
        return 0;
    }
    m.last(id).unwrap_or(0)
}

/// `-L`, `-P`, `-H`, `-a` and `-d`: the last one wins, as in GNU cp. Without any: `-P` for
/// `-r` (unless `-l`), else `-L`.
pub fn resolve_deref(args: &Args, m: &FlagPositions, recursive: bool) -> Deref {
    let deref_flags = [
        (
            last_index(m, "dereference", args.dereference),
            Deref::Always,
        ),
        (
            last_index(m, "no_dereference", args.no_dereference),
            Deref::Never,
        ),
        (
            last_index(m, "dereference_command_line", args.dereference_command_line),
            Deref::CommandLine,
        ),
        (last_index(m, "archive", args.archive), Deref::Never),
        (
            last_index(m, "no_deref_preserve_links", args.no_deref_preserve_links),
            Deref::Never,
        ),
    ];
    let explicit = deref_flags
        .iter()
        .filter(|(i, _)| *i > 0)
        .max_by_key(|(i, _)| *i)
        .map(|(_, d)| *d);
    explicit.unwrap_or(if recursive && !args.link {
        Deref::Never
    } else {
        Deref::Always
    })
}

/// One attribute flag on the command line: where, which attributes, added or removed, and
/// whether it was asked for by name (`--preserve=...`: failing to preserve is then an error).
struct AttrFlag {
    index: usize,
    attrs: Attrs,
    add: bool,
    explicit: bool,
    /// `context` itself was named (not through `all`): GNU requires it then (cp.c's
    /// `require_preserve_context`).
    context_named: bool,
}

/// The attribute flags in command-line order.
fn attr_flags(args: &Args, m: &FlagPositions) -> Result<Vec<AttrFlag>, UsageError> {
    let mut flags = Vec::new();
    let implied = |index, attrs| AttrFlag {
        index,
        attrs,
        add: true,
        explicit: false,
        context_named: false,
    };
    if args.archive {
        flags.push(implied(last_index(m, "archive", true), Attrs::ALL));
    }
    if args.no_deref_preserve_links {
        let links = Attrs {
            links: true,
            ..Attrs::default()
        };
        flags.push(implied(
            last_index(m, "no_deref_preserve_links", true),
            links,
        ));
    }
    if args.preserve_default {
        flags.push(implied(last_index(m, "preserve_default", true), Attrs::P));
    }
    for (id, add) in [("preserve", true), ("no_preserve", false)] {
        let flag = if add { "--preserve" } else { "--no-preserve" };
        for (value, index) in m.values(id) {
            let value = value.as_str();
            let attrs = Attrs::parse(value, flag).map_err(UsageError::Attributes)?;
            let context_named = value
                .split(',')
                .any(|w| Attrs::parse(w, flag).is_ok_and(|a| a.context && !a.mode));
            flags.push(AttrFlag {
                index,
                attrs,
                add,
                explicit: add,
                context_named,
            });
        }
    }
    flags.sort_by_key(|f| f.index);
    Ok(flags)
}

/// `--preserve`/`--no-preserve`/`-p`/`-a`/`-d` applied in command-line order. The flag: mode
/// was last removed by `--no-preserve=mode` (new files then get default permissions).
pub fn resolve_preserve(args: &Args, m: &FlagPositions) -> Result<(Preserve, bool), UsageError> {
    let mut preserve = Preserve::default();
    let mut no_preserve_mode = false;
    for flag in attr_flags(args, m)? {
        if flag.attrs.mode {
            no_preserve_mode = !flag.add;
        }
        if flag.add {
            preserve.attrs = preserve.attrs.union(flag.attrs);
            if flag.explicit {
                let required = Attrs {
                    context: flag.context_named,
                    ..flag.attrs
                };
                preserve.required = preserve.required.union(required);
            }
        } else {
            preserve.attrs = preserve.attrs.minus(flag.attrs);
            preserve.required = preserve.required.minus(flag.attrs);
        }
    }
    // An explicit --preserve=context is refused as GNU cp refuses it without SELinux; the
    // context of -a and --preserve=all is best effort and never required.
    if preserve.required.context && preserve.attrs.context {
        return Err(UsageError::ContextRequired);
    }
    preserve.explicit_mode = no_preserve_mode && !preserve.attrs.mode;
    Ok((preserve, no_preserve_mode && !preserve.attrs.mode))
}
