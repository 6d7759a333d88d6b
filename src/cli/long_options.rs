//! GNU `getopt_long`'s handling of long options, applied to `argv` before clap parses it:
//! unique prefixes (`--rec`), GNU's choice and wording for ambiguous ones, `--name VALUE` joined
//! into `--name=VALUE`, and short options whose value is the next argument.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use super::{values, OptionError};

/// GNU cp 9.1's long options. Installed as `cp`, a prefix that matches several options
/// resolves to the one of these it matches, so fcopy's own options never make a GNU
/// abbreviation ambiguous (GNU tests/cp/backup-is-src.sh uses `--b=simple`, which is
/// `--backup` and not `--batch`); as `fcopy`, such a prefix is ambiguous ([`Abbreviations`]).
/// In GNU's order: an ambiguity lists the possibilities in this order, as getopt does.
const GNU_LONG_OPTIONS: &[&str] = &[
    "archive",
    "attributes-only",
    "backup",
    "copy-contents",
    "dereference",
    "force",
    "interactive",
    "link",
    "no-clobber",
    "no-dereference",
    "no-preserve",
    "no-target-directory",
    "one-file-system",
    "parents",
    "path",
    "preserve",
    "recursive",
    "remove-destination",
    "sparse",
    "reflink",
    "strip-trailing-slashes",
    "suffix",
    "symbolic-link",
    "target-directory",
    "update",
    "verbose",
    "context",
    "help",
    "version",
];

/// One long option name (or alias) of the command.
struct LongName {
    name: String,
    id: String,
    /// It takes a value in the next argument when not given with `=`.
    separate_value: bool,
    /// It takes no value at all.
    no_value: bool,
    /// The words its value must be one of (`--sparse`: auto, always, never); empty for a free
    /// value. GNU's argmatch takes a unique prefix of one ([`expand_word`]).
    words: Vec<String>,
    /// Other spellings of some of `words`, taken as given only (`--method=read_write` is
    /// `read-write`): (alias, word).
    aliases: Vec<(String, String)>,
}

/// Which option a prefix of a GNU cp option and of one of fcopy's own options means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abbreviations {
    /// GNU cp's option, as in GNU cp: fcopy installed as `cp` runs cp's scripts (`--at` is
    /// `--attributes-only`, `--b=simple` is `--backup`).
    GnuFirst,
    /// Neither: the prefix is ambiguous, and the error lists both. Invoked as `fcopy`, `--at`
    /// meant for `--atomic` made an empty DEST as `--attributes-only`, exit 0, and `--sy` for
    /// `--sync` made a symlink (new-user trial, round 13).
    AllOptions,
}

/// The command's option names: every long name and alias, and the short options that take a
/// value.
struct OptionNames {
    longs: Vec<LongName>,
    value_shorts: Vec<u8>,
}

impl OptionNames {
    /// The names of `cmd`'s options. Builds `cmd` in place (clap then parses with the built
    /// command as it is; building a copy cost about 20 page faults a run).
    fn of(cmd: &mut clap::Command) -> OptionNames {
        cmd.build();
        let mut names = OptionNames {
            longs: Vec::new(),
            value_shorts: Vec::new(),
        };
        for arg in cmd.get_arguments() {
            let range = arg.get_num_args().unwrap_or_default();
            let takes_value = range.min_values() > 0;
            if let (Some(c), true) = (arg.get_short(), takes_value) {
                names.value_shorts.push(c as u32 as u8);
            }
            let Some(long) = arg.get_long() else {
                continue;
            };
            let mut all = vec![long];
            all.extend(arg.get_all_aliases().unwrap_or_default());
            let words: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_owned())
                .collect();
            let aliases: Vec<(String, String)> = arg
                .get_possible_values()
                .iter()
                .flat_map(|v| {
                    let word = v.get_name().to_owned();
                    v.get_name_and_aliases()
                        .skip(1)
                        .map(move |a| (a.to_owned(), word.clone()))
                })
                .collect();
            for name in all {
                names.longs.push(LongName {
                    name: name.to_owned(),
                    id: arg.get_id().as_str().to_owned(),
                    separate_value: takes_value && !arg.is_require_equals_set(),
                    no_value: range.max_values() == 0,
                    words: words.clone(),
                    aliases: aliases.clone(),
                });
            }
        }
        names
    }

    /// The option `--name` (exact, or a prefix) means, as `getopt_long` and GNU cp decide.
    fn find(
        &self,
        arg: &[u8],
        name: &[u8],
        abbreviations: Abbreviations,
    ) -> Result<&LongName, OptionError> {
        if let Some(exact) = self.longs.iter().find(|l| l.name.as_bytes() == name) {
            return Ok(exact);
        }
        let mut found: Vec<&LongName> = Vec::new();
        for l in self
            .longs
            .iter()
            .filter(|l| l.name.as_bytes().starts_with(name))
        {
            if !found.iter().any(|f| f.id == l.id) {
                found.push(l);
            }
        }
        if found.len() > 1 && abbreviations == Abbreviations::GnuFirst {
            // GNU's options win, and an ambiguity among them lists only them, as GNU cp does
            // (`--re`: not fcopy's --resume).
            let gnu: Vec<&LongName> = found
                .iter()
                .copied()
                .filter(|l| GNU_LONG_OPTIONS.contains(&l.name.as_str()))
                .collect();
            if !gnu.is_empty() {
                found = gnu;
            }
        }
        let rank = |l: &LongName| {
            GNU_LONG_OPTIONS
                .iter()
                .position(|g| *g == l.name)
                .unwrap_or(usize::MAX)
        };
        found.sort_by_key(|l| rank(l));
        match found.as_slice() {
            [] => Err(OptionError::Unrecognized(OsString::from_vec(arg.to_vec()))),
            [one] => Ok(*one),
            // Named as given, value included, as getopt does (`option '--s=x' is
            // ambiguous`; red team 13b: fcopy said '--s').
            many => Err(OptionError::Ambiguous {
                prefix: OsString::from_vec(arg.strip_prefix(b"--").unwrap_or(arg).to_vec()),
                candidates: many.iter().map(|l| l.name.clone()).collect(),
            }),
        }
    }
}

/// Resolves long options the way GNU `getopt_long` does, before clap parses `argv`: a unique
/// prefix is the option; a prefix of several is an error listing them. With
/// [`Abbreviations::GnuFirst`] only the GNU cp options among them count when there are any, so
/// one GNU match is chosen and GNU's own list is printed (`--re`: '--recursive'
/// '--remove-destination' '--reflink', not '--resume'); with [`Abbreviations::AllOptions`]
/// fcopy's own options count too (`--re` also lists '--resume', `--at` is ambiguous);
/// `--name=VALUE` on an option without value and an unknown name are errors in GNU's words.
/// A value given as the next argument is joined with `=`, so `--len -5` reaches `--len`'s own
/// check (which names the option). Short options that take a value keep it. Stops at `--`.
///
/// # Errors
/// [`OptionError`], rendered in GNU's words, e.g. `unrecognized option '--recursve'`.
///
/// The option names are gathered (and `cmd` built) only when an argument looks like an
/// option: `fcopy SOURCE DEST` skips that step.
pub fn resolve_long_options(
    cmd: &mut clap::Command,
    argv: Vec<OsString>,
    abbreviations: Abbreviations,
) -> Result<Vec<OsString>, OptionError> {
    let mut known: Option<OptionNames> = None;
    let mut out = Vec::with_capacity(argv.len());
    let mut it = argv.into_iter();
    out.extend(it.next());
    while let Some(arg) = it.next() {
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            out.push(arg);
            out.extend(it);
            break;
        }
        if bytes.len() <= 1 || bytes[0] != b'-' {
            // An operand (or `-`, standard input): nothing to resolve. With POSIXLY_CORRECT,
            // GNU getopt stops at the first one: every later argument is an operand too
            // (`POSIXLY_CORRECT=1 cp a b -r` names the target `-r`).
            if crate::options::posixly_correct() {
                out.push(OsString::from("--"));
                out.push(arg);
                out.extend(it);
                break;
            }
            out.push(arg);
            continue;
        }
        let names = known.get_or_insert_with(|| OptionNames::of(cmd));
        if let Some(rest) = bytes.strip_prefix(b"--") {
            out.push(long_option(names, bytes, rest, &mut it, abbreviations)?);
        } else if let Some(c) = stray_equals(names, &bytes[1..]) {
            return Err(OptionError::InvalidShort(c));
        } else if let Some(joined) = short_with_value(names, &arg, &mut it)? {
            out.extend(joined);
        } else {
            out.push(arg);
        }
    }
    Ok(out)
}

/// `--rest` (the whole argument is `arg`) as `--full-name[=VALUE]`, taking the value from the
/// next argument when the option needs one and `=` is absent.
fn long_option(
    names: &OptionNames,
    arg: &[u8],
    rest: &[u8],
    next: &mut impl Iterator<Item = OsString>,
    abbreviations: Abbreviations,
) -> Result<OsString, OptionError> {
    let (name, value) = match rest.iter().position(|&b| b == b'=') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let chosen = names.find(arg, name, abbreviations)?;
    let mut full = format!("--{}", chosen.name).into_bytes();
    match value {
        Some(_) if chosen.no_value => {
            return Err(OptionError::NoArgumentAllowed(chosen.name.clone()))
        }
        Some(v) => {
            full.push(b'=');
            full.extend_from_slice(expand_word(chosen, v)?);
        }
        None if chosen.separate_value => match next.next() {
            Some(v) => {
                full.push(b'=');
                full.extend_from_slice(expand_word(chosen, v.as_bytes())?);
            }
            None => return Err(OptionError::RequiresArgument(chosen.name.clone())),
        },
        None => {}
    }
    Ok(OsString::from_vec(full))
}

/// GNU's argmatch: a value that is a unique prefix of one of the option's words means that
/// word (`--sparse=alw` is `--sparse=always`, `--reflink=n` is `--reflink=never`); an exact
/// word and a free value stay as given; an empty value is a prefix of all (`--sparse=`:
/// ambiguous, as in GNU).
/// New-user trial, round 6: GNU cp accepted `--sparse=alw`, fcopy refused it.
///
/// # Errors
/// A prefix of several words, or of none: [`OptionError::InvalidArgument`] (GNU:
/// `ambiguous argument 'a' for '--sparse'`, `invalid argument '\377' for '--sparse'`, and the
/// valid words in GNU's order), with the value's bytes as given; and a value that is not UTF-8
/// for the options whose words are checked after clap ([`non_utf8_words`]).
fn expand_word<'a>(option: &'a LongName, value: &'a [u8]) -> Result<&'a [u8], OptionError> {
    let words = &option.words;
    if words.is_empty() {
        return non_utf8_words(option, value).map(|()| value);
    }
    // An empty value is a prefix of every word: ambiguous, as GNU's argmatch says.
    if words.iter().any(|w| w.as_bytes() == value) {
        return Ok(value);
    }
    if let Some((_, word)) = option.aliases.iter().find(|(a, _)| a.as_bytes() == value) {
        return Ok(word.as_bytes());
    }
    let matching: Vec<&String> = words
        .iter()
        .filter(|w| w.as_bytes().starts_with(value))
        .collect();
    let ambiguous = match matching.as_slice() {
        [one] => return Ok(one.as_bytes()),
        [] => false,
        _ => true,
    };
    let name = format!("--{}", option.name);
    Err(OptionError::InvalidArgument {
        valid: values::gnu_order(&name, words),
        option: name,
        value: value.to_vec(),
        ambiguous,
    })
}

/// `--preserve`, `--no-preserve` and `--backup` take words that are checked once clap has
/// parsed them (`crate::meta::Attrs::parse`, `crate::backup::parse_control`); clap refuses a
/// value that is not UTF-8 in its own words, so such a value is refused here, as GNU's argmatch
/// words it: the first word of the list that is not valid (`invalid argument '\377x' for
/// '--no-preserve'`), or `'\377' for 'backup type'`.
fn non_utf8_words(option: &LongName, value: &[u8]) -> Result<(), OptionError> {
    if std::str::from_utf8(value).is_ok() {
        return Ok(());
    }
    let flag = match option.id.as_str() {
        "preserve" => "--preserve",
        "no_preserve" => "--no-preserve",
        "backup" => {
            return Err(OptionError::InvalidArgument {
                option: crate::backup::FLAG_CONTEXT.to_owned(),
                value: value.to_vec(),
                valid: values::backup_word_groups(),
                ambiguous: false,
            })
        }
        _ => return Ok(()),
    };
    for word in value.split(|&b| b == b',') {
        let ambiguous = match std::str::from_utf8(word) {
            Ok(text) => match crate::meta::Attrs::parse(text, flag) {
                Ok(_) => continue,
                Err(e) => e.ambiguous,
            },
            Err(_) => false,
        };
        let valid = values::PRESERVE_WORDS.map(|w| vec![w.to_owned()]).to_vec();
        return Err(OptionError::InvalidArgument {
            option: flag.to_owned(),
            value: word.to_vec(),
            valid,
            ambiguous,
        });
    }
    Ok(())
}

/// GNU getopt reads a short cluster one option at a time, so `=` after a short option that takes
/// no value is itself an (invalid) option: `cp -u=older` says `invalid option -- '='` (only
/// `--update=WHEN` has a value; clap would take `-u=older` as `--update=older`). `Some('=')`
/// when the cluster has such a `=`; an option that takes a value ends the cluster (`-S=x` is
/// the suffix `=x`).
fn stray_equals(names: &OptionNames, cluster: &[u8]) -> Option<char> {
    for &c in cluster {
        if names.value_shorts.contains(&c) {
            return None;
        }
        if c == b'=' {
            return Some('=');
        }
    }
    None
}

/// A cluster of short options ending with one that takes a value, whose value is the next
/// argument: the two arguments as clap should see them (attached, so a value starting with
/// '-' stays a value, as in getopt); and one whose attached value starts with `=`, split so
/// that clap keeps the `=`. `None` for every other argument.
fn short_with_value(
    names: &OptionNames,
    arg: &OsString,
    next: &mut impl Iterator<Item = OsString>,
) -> Result<Option<Vec<OsString>>, OptionError> {
    let bytes = arg.as_bytes();
    if bytes.len() <= 1 || bytes[0] != b'-' {
        return Ok(None);
    }
    let cluster = &bytes[1..];
    let Some(i) = cluster.iter().position(|c| names.value_shorts.contains(c)) else {
        return Ok(None);
    };
    if cluster.get(i + 1) == Some(&b'=') {
        // getopt keeps an attached value whole (`-S=x`: the suffix `=x`); clap would drop the
        // `=`, so the value goes on as its own argument.
        let (opts, value) = bytes.split_at(i + 2);
        return Ok(Some(vec![
            OsString::from_vec(opts.to_vec()),
            OsString::from_vec(value.to_vec()),
        ]));
    }
    if i + 1 != cluster.len() {
        return Ok(None);
    }
    match next.next() {
        Some(v) if !v.is_empty() => {
            let mut joined = bytes.to_vec();
            joined.extend_from_slice(v.as_bytes());
            Ok(Some(vec![OsString::from_vec(joined)]))
        }
        Some(v) => Ok(Some(vec![arg.clone(), v])),
        None => Err(OptionError::ShortRequiresArgument(cluster[i] as char)),
    }
}
