//! The generated documentation: `man/fcopy.1` and `completions/` must match the clap definition,
//! and every option must be documented. Regenerate with:
//! `FCOPY_REGENERATE_DOCS=1 cargo test --test cli docs::`

use std::fs;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::roff::{bold, italic, roman, Roff};
use fcopy::cli::Args;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The man page: clap's sections plus strategies, examples, exit status and see also.
fn man_page() -> Vec<u8> {
    let cmd = Args::command();
    let man = clap_mangen::Man::new(cmd).date("2026-11-22");
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    // cp's usage forms, with option arguments, instead of clap's list of every flag.
    let mut synopsis = Roff::new();
    synopsis.control("SH", ["SYNOPSIS"]);
    for (i, form) in [
        &["[", "OPTION", "]... [", "-T", "] ", "SOURCE", " ", "DEST"][..],
        &["[", "OPTION", "]... ", "SOURCE", "... ", "DIRECTORY"],
        &[
            "[",
            "OPTION",
            "]... ",
            "-t",
            " ",
            "DIRECTORY",
            " ",
            "SOURCE",
            "...",
        ],
        &["[", "OPTION", "]... ", "--batch", " ", "FILE"],
        &[
            "[",
            "OPTION",
            "]... ",
            "--files-from",
            "=",
            "FILE",
            " [",
            "-t",
            "] ",
            "DIRECTORY",
        ],
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            synopsis.control("br", []);
        }
        let mut parts = vec![bold("fcopy"), roman(" ")];
        for word in form.iter() {
            parts.push(match *word {
                "-T" | "-t" | "--batch" | "--files-from" => bold(*word),
                w if w.chars().all(|c| c.is_ascii_uppercase()) => italic(w),
                w => roman(w),
            });
        }
        synopsis.text(parts);
    }
    synopsis.to_writer(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    // The operands are in the SYNOPSIS; clap would open OPTIONS with them (`[PATH]`). The
    // options come in clap's groups, each a section of its own.
    let mut intro = Roff::new();
    intro.control("SH", ["OPTIONS"]);
    intro.text([roman(
        "The options follow in groups, one section each. A long option may be abbreviated to \
         any prefix that names only it (--verb for --verbose), as in GNU cp. Installed as cp, \
         a prefix of a GNU cp option that also begins one of fcopy's own options means GNU's \
         option, as in GNU cp (--at is --attributes-only); invoked as fcopy it is ambiguous \
         (--at: --attributes-only or --atomic), and the error lists both.",
    )]);
    intro.to_writer(&mut out).unwrap();
    let options = Args::command().mut_arg("operands", |a| a.hide(true));
    clap_mangen::Man::new(options)
        .render_options_section(&mut out)
        .unwrap();

    let mut roff = Roff::new();
    roff.control("SH", ["STRATEGIES"]);
    roff.text([roman(
        "For each file fcopy chooses a strategy from the source's and destination's metadata; \
         --dry-run and --json show it.",
    )]);
    for (name, text) in [
        ("reflink", "--reflink=always, or auto on a filesystem that clones (btrfs, XFS): ioctl FICLONE shares the extents."),
        ("copy_file_range", "regular file to regular file without holes: a loop of copy_file_range(2) calls with explicit offsets, at most 1 GiB each."),
        ("sparse", "the source has holes (st_blocks below st_size, confirmed by SEEK_HOLE): only data extents are copied and the destination ends with ftruncate, so holes stay holes. --sparse=always also turns runs of zero bytes into holes."),
        ("ranged", "--offset-in, --offset-out or --len: one byte range, the destination is never truncated and keeps its other bytes."),
        ("read_write", "pipes, terminals, /proc and /sys files, --sparse=never, --method=read-write, or --reflink=never where copy_file_range could clone: pread/pwrite with one reused buffer."),
    ] {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(text)]);
    }
    roff.text([roman(
        "Any copy_file_range loop falls back to read/write, from the offset it reached, when the \
         kernel says it cannot copy here (EXDEV, EOPNOTSUPP, ENOSYS, EINVAL, EPERM, EACCES, EBADF, \
         ETXTBSY, EFBIG, or EIO/ENOENT and a zero return before the first byte); --json records why.",
    )]);
    for (title, paragraphs) in [
        (
            "BATCH FILES",
            &[
                "--batch FILE reads jobs from FILE (- is standard input): one job a line, SOURCE and DEST separated by a tab, or five fields SOURCE, DEST, OFFSET_IN, OFFSET_OUT, LEN for a ranged job (an empty LEN copies to the end of SOURCE; a line whose three range fields are all empty or - is an error). Empty lines are ignored. With -0 (--null) the fields are separated by NUL bytes instead, two per job, so names may contain tabs and newlines.",
                "A DEST that is an existing directory receives SOURCE inside it, as in cp; missing parent directories are an error. A malformed line is reported with its line number (FILE:N: ...) and skipped; a job that fails names its line the same way (FILE:N: cannot stat ...); the other jobs still run. A line's own range together with --offset-in/--offset-out/--len, --resume, --update=changed, or -b/--remove-destination without --atomic on the command line fails that line only, in the same way. With -i and --batch -, the questions are asked on the terminal (/dev/tty); without a terminal that is a usage error.",
            ][..],
        ),
        (
            "JSON OUTPUT",
            &[
                "--json writes one JSON object per line on standard output (on standard error when DEST is -): one record per job, and in trees per directory, symlink, hard link and special file, then one summary record. As with ripgrep's --json, the records replace the other per-file output: the lines of -v and --debug are not printed (the records carry the same facts: source, dest, method, fallback, verified); messages and --stats still go to standard error.",
                "Every record but the summary has these fields, in this order, null where they do not apply: type (file, directory, symlink, hardlink, special, batch_line, error), source, dest, status (ok, error, skipped, planned), strategy, method, fallback, fallback_offset, offset_in, offset_out, len, bytes, extents, error, note (what became of DEST after a failure, as the line after the error says it), elapsed_ms, line (--batch: the line of the list the job or batch_line record came from), resumed_from (--resume: the DEST offset the copy continued from), verified (--verify: compared, reflink, or not verifiable for a stream, a /proc-like file or a range overlapping itself in one file), shared_bytes (bytes of DEST sharing extents with SOURCE) and digest (--verify=hash: the BLAKE3 digest).",
                "Only for a path that is not UTF-8 (where source or dest has U+FFFD for each invalid byte sequence), source_bytes and dest_bytes follow source and dest: the path's exact bytes as an array of numbers.",
                "The summary is {\"type\":\"summary\",\"files\":N,\"bytes\":N,\"failures\":N,\"skipped\":N,\"elapsed_ms\":X,\"throughput_bytes_per_sec\":X}; files and skipped count regular files (copied, and skipped), as --stats does; failures equals the number of records with status error; bytes counts copied and cloned bytes, throughput_bytes_per_sec only the bytes written (null when none were: with --dry-run, or when every byte was shared or skipped).",
            ],
        ),
        (
            "PROGRESS AND STATUS",
            &[
                "--progress (-g) draws one line on standard error: a bar, bytes copied of the total, percentage, rate, ETA and files done of files found. While the walk is still finding files the totals are lower bounds (shown with \u{2265}, or >= where the locale is not UTF-8) and there is no bar, percentage or ETA. The line is fitted to the terminal's width and never wraps: on a narrow terminal the bar shrinks to ten columns, then the ETA, the rate and the file count are dropped, and only then the bar; flushing... means every byte is through and files are still being finished (verifying... with --verify, while DEST is read back), and done that everything is.",
                "Holes of a sparse SOURCE are not copied: they leave the total as the copy finds them, so the rate, the ETA and the bytes copied count only copied bytes, as --stats does.",
                "Sending SIGUSR1 (kill -USR1 PID) makes fcopy print one status line on standard error, as dd(1) does, and go on: bytes copied, files done, elapsed time and rate.",
            ],
        ),
        (
            "ENVIRONMENT",
            &[
                "VERSION_CONTROL: the backup method when --backup is given without one (none, off, numbered, t, existing, nil, simple, never), as in GNU cp.",
                "SIMPLE_BACKUP_SUFFIX: the suffix of simple backups when --suffix is not given (default ~).",
                "POSIXLY_CORRECT: as in GNU cp, a dangling symlink at the destination is written through (its target is created) instead of refused, options end at the first operand, and a file -i was told not to overwrite makes the exit status 1.",
                "NO_COLOR: no colour in --help (the progress line has none).",
            ],
        ),
    ] {
        roff.control("SH", [title]);
        for (i, text) in paragraphs.iter().enumerate() {
            if i > 0 {
                roff.control("PP", []);
            }
            roff.text([roman(*text)]);
        }
    }
    roff.control("SH", ["EXAMPLES"]);
    for (cmd, what) in [
        ("fcopy big.img /backup/", "Copy a file into a directory."),
        ("fcopy -aT photos /mnt/backup/photos", "Copy a tree with modes, owners, times, links and xattrs, as photos itself on every run (-T: never into photos/photos)."),
        ("fcopy --offset-in 100 --offset-out 200 --len 100 source.txt destination.txt", "Copy 100 bytes from offset 100 of source.txt to offset 200 of destination.txt; the rest of destination.txt is kept."),
        ("fcopy --offset-in 1GiB --len 64M disk.img part.bin", "Extract 64 MiB starting at 1 GiB."),
        ("cat a b | fcopy --offset-out 4096 - disk.img", "Write a stream into a file at offset 4096."),
        ("fcopy --sparse=always vm.raw vm-copy.raw", "Copy a disk image, turning zero runs into holes."),
        ("fcopy --json --dry-run -r src dst", "Show the plan as JSON Lines; copy nothing."),
    ] {
        roff.control("TP", []);
        roff.text([bold(cmd)]);
        roff.text([roman(what)]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    roff.control("TP", []);
    roff.text([bold("0")]);
    roff.text([roman(
        "Everything was copied, or skipped on purpose (-n, --update, --update=changed, a file \
         -i was told not to overwrite, as in GNU cp 9.1); with POSIXLY_CORRECT set, a declined \
         -i makes the status 1, as POSIX specifies and GNU cp 9.2 and later do.",
    )]);
    roff.control("TP", []);
    roff.text([bold("1")]);
    roff.text([roman(
        "Something failed (usage errors too, as GNU cp); the other files were still copied.",
    )]);
    roff.control("TP", []);
    roff.text([bold("128+N")]);
    roff.text([roman(
        "Stopped by signal N (SIGINT, SIGTERM, SIGHUP, SIGQUIT): an unfinished new destination is removed, then fcopy dies by the signal, as cp does.",
    )]);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        italic("cp"),
        roman("(1), "),
        italic("dd"),
        roman("(1), "),
        italic("rsync"),
        roman("(1), "),
        italic("copy_file_range"),
        roman("(2), "),
        italic("ioctl_ficlone"),
        roman("(2), "),
        italic("lseek"),
        roman("(2)"),
    ]);
    roff.to_writer(&mut out).unwrap();
    man.render_version_section(&mut out).unwrap();
    ascii_roff(&out)
}

/// The page in plain ASCII: every other character as a groff escape (`\[u2014]` for an em
/// dash), so `groff -man -Tascii` and man on a C locale print it right.
fn ascii_roff(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(page.to_vec()).unwrap();
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out.into_bytes()
}

/// The options whose value is optional and given only after `=` (GNU's `--reflink[=WHEN]`,
/// `--update[=UPDATE]`, `--backup[=CONTROL]`, `--preserve[=ATTR_LIST]`, ...): long name and
/// the short alias, if any (`-u` takes no value at all: it is `--update=older`).
/// Each with its help text.
fn equals_only() -> Vec<(String, Option<char>, String)> {
    Args::command()
        .get_arguments()
        .filter(|a| {
            let takes = a.get_num_args().unwrap_or_default();
            a.is_require_equals_set() && takes.takes_values() && takes.min_values() == 0
        })
        .filter_map(|a| {
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            Some((a.get_long()?.to_owned(), a.get_short(), help))
        })
        .collect()
}

/// clap's definition as the completers should see it: clap_complete does not know
/// `require_equals`, so a short alias of an optional-value option (`-u`) becomes a flag of its
/// own. (Parsing is unchanged: this command only feeds the generators.)
fn completion_command() -> clap::Command {
    let mut cmd = Args::command();
    for (long, short, help) in equals_only() {
        let Some(short) = short else { continue };
        let id = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
            .map(|a| a.get_id().to_string())
            .unwrap();
        // clap's ids are `&'static str` (no "string" feature): leaked once per generation.
        let flag_id: &'static str = Box::leak(format!("{id}-short").into_boxed_str());
        cmd = cmd.mut_arg(&id, |a| a.short(None)).arg(
            clap::Arg::new(flag_id)
                .short(short)
                .action(clap::ArgAction::SetTrue)
                .help(help),
        );
    }
    cmd
}

fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = completion_command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fcopy", &mut out);
    let text = String::from_utf8(out).unwrap();
    match shell {
        Shell::Bash => bash_with_equals(text.into_bytes()),
        Shell::Zsh => zsh_equals_only(&text).into_bytes(),
        Shell::Fish => fish_equals_only(&text).into_bytes(),
        _ => text.into_bytes(),
    }
}

/// zsh's `_arguments`: `--opt=[...]` also takes the value as the next word; `--opt=-[...]`
/// takes it only after `=`.
fn zsh_equals_only(text: &str) -> String {
    let mut text = text.to_owned();
    for (long, _, _) in equals_only() {
        text = text.replace(&format!("--{long}=["), &format!("--{long}=-["));
    }
    text
}

/// fish: `-r` (requires a parameter) completes the next word as the value; without it the
/// values are offered only after `--opt=`.
fn fish_equals_only(text: &str) -> String {
    let longs: Vec<String> = equals_only()
        .into_iter()
        .map(|(long, _, _)| format!(" -l {long} "))
        .collect();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("complete -c fcopy ") && longs.iter().any(|l| line.contains(l.as_str()))
        {
            out.push_str(&line.replacen("' -r", "'", 1));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// clap's bash completion, taught `--opt=value`: bash splits the word at `=`, so
/// `--sparse=al<TAB>` reaches the completer as `--sparse`, `=`, `al`; the wrapper completes the
/// value as for `--sparse al<TAB>`, and offers `--sparse=` (no space after it) for the long
/// options that take a value.
fn bash_with_equals(generated: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(generated).unwrap();
    let cut = text
        .find("\nif [[ \"${BASH_VERSINFO[0]}\" -eq 4")
        .expect("clap's complete lines");
    let with_values: Vec<String> = Args::command()
        .get_arguments()
        .filter(|a| !a.is_positional() && a.get_action().takes_values())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let equals_only = equals_only();
    let mut out = text[..cut].to_owned();
    out.push_str(&format!(
        r#"
# fcopy: `--opt=value` (bash splits the word at '=').
_fcopy_value() {{
    case "$2" in
        --backup)
            # GNU's version-control words (the value is optional, so only after '=').
            COMPREPLY=($(compgen -W "none off numbered t existing nil simple never" -- "$3"))
            ;;
        --preserve|--no-preserve)
            # GNU's ATTR_LIST, comma-separated: the word after the last comma is completed.
            local listed="" word="$3"
            if [[ ${{word}} == *,* ]]; then
                listed="${{word%,*}},"
                word="${{word##*,}}"
            fi
            COMPREPLY=($(compgen -P "${{listed}}" -W "mode ownership timestamps links context xattr all" -- "${{word}}"))
            ;;
        *)
            _fcopy "$1" "$3" "$2"
            ;;
    esac
}}

_fcopy_with_equals() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    if [[ ${{cur}} == "=" && ${{prev}} == --* ]]; then
        _fcopy_value "$1" "${{prev}}" ""
        return
    fi
    if [[ ${{prev}} == "=" && ${{COMP_CWORD}} -ge 2 ]]; then
        _fcopy_value "$1" "${{COMP_WORDS[COMP_CWORD-2]}}" "${{cur}}"
        return
    fi
    case "${{prev}}" in
        {})
            # The value is optional and only ever given after '=': this word is not it.
            _fcopy "$1" "$2" ""
            return
            ;;
    esac
    _fcopy "$@"
    if [[ ${{cur}} == --* ]]; then
        local with_values=" {} " i
        for i in "${{!COMPREPLY[@]}}"; do
            if [[ ${{with_values}} == *" ${{COMPREPLY[i]}} "* ]]; then
                COMPREPLY[i]="${{COMPREPLY[i]}}="
                compopt -o nospace 2>/dev/null
            fi
        done
    fi
}}

if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _fcopy_with_equals -o nosort -o bashdefault -o default fcopy
else
    complete -F _fcopy_with_equals -o bashdefault -o default fcopy
fi
"#,
        equals_only
            .iter()
            .map(|(long, _, _)| format!("--{long}"))
            .collect::<Vec<_>>()
            .join("|"),
        with_values.join(" ")
    ));
    out.into_bytes()
}

fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![(PathBuf::from("man/fcopy.1"), man_page())];
    for (shell, name) in [
        (Shell::Bash, "fcopy.bash"),
        (Shell::Zsh, "_fcopy"),
        (Shell::Fish, "fcopy.fish"),
        (Shell::Elvish, "fcopy.elv"),
        (Shell::PowerShell, "_fcopy.ps1"),
    ] {
        files.push((Path::new("completions").join(name), completion(shell)));
    }
    files
}

#[test]
fn man_page_and_completions_are_current() {
    let regenerate = std::env::var_os("FCOPY_REGENERATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (rel, content) in generated() {
        let path = root().join(&rel);
        if regenerate {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &content).unwrap();
            continue;
        }
        match fs::read(&path) {
            Ok(existing) if existing == content => {}
            _ => stale.push(rel.display().to_string()),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}; regenerate with `FCOPY_REGENERATE_DOCS=1 cargo test --test cli docs::`"
    );
}

#[test]
fn man_page_reads_well() {
    let man = String::from_utf8(man_page()).unwrap();
    assert!(man.is_ascii(), "non-ASCII characters in the man page");
    for section in [
        "SYNOPSIS",
        "BATCH FILES",
        "JSON OUTPUT",
        "PROGRESS AND STATUS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "EXAMPLES",
    ] {
        assert!(
            man.contains(&format!(".SH \"{section}\"")) || man.contains(&format!(".SH {section}")),
            "no {section} section"
        );
    }
    for var in [
        "VERSION_CONTROL",
        "SIMPLE_BACKUP_SUFFIX",
        "POSIXLY_CORRECT",
        "NO_COLOR",
        "SIGUSR1",
    ] {
        assert!(man.contains(var), "the man page does not mention {var}");
    }
    // The OPTIONS section opened with clap's line for the operands, `[PATH] SOURCE... DEST`.
    let options = &man[man.find(".SH OPTIONS").unwrap()..man.find(".SH DESTINATION").unwrap()];
    assert!(
        !options.contains("PATH") && !options.contains("SOURCE..."),
        "{options}"
    );
    let synopsis = &man[man.find("SYNOPSIS").unwrap()..man.find("DESCRIPTION").unwrap()];
    // clap's synopsis listed every flag, with empty argument slots: `[-d ]`, `[-b  ]`.
    assert!(!synopsis.contains(" ]"), "{synopsis}");
    assert!(
        synopsis.contains("DIRECTORY") && synopsis.contains("\\fB\\-t\\fR"),
        "{synopsis}"
    );
    // Every way to name the sources is in the SYNOPSIS and the usage lines (new-user trial,
    // round 8: the --files-from form was hard to find).
    let mut usage = Vec::new();
    Args::command().write_help(&mut usage).unwrap();
    let usage = String::from_utf8(usage).unwrap();
    for form in ["--batch", "--files-from"] {
        let roff = form.replace('-', "\\-");
        assert!(synopsis.contains(&roff), "{form} not in {synopsis}");
        assert!(
            usage.contains(&format!("[OPTION]... {form}")),
            "{form} not in {usage}"
        );
    }
    // What groff renders: no mojibake (an em dash once came out as `â`).
    if let Ok(out) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8"])
        .arg(root().join("man/fcopy.1"))
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains('â'), "groff shows mojibake");
    }
}

#[test]
fn every_option_is_documented_in_help_and_man_page() {
    let cmd = Args::command();
    let man = String::from_utf8(man_page()).unwrap();
    let mut help = Vec::new();
    Args::command().write_long_help(&mut help).unwrap();
    let help = String::from_utf8(help).unwrap();
    let mut undocumented = Vec::new();
    for arg in cmd.get_arguments() {
        if arg.is_positional() {
            continue;
        }
        let name = arg
            .get_long()
            .map(|l| format!("--{l}"))
            .or_else(|| arg.get_short().map(|s| format!("-{s}")))
            .unwrap();
        let has_help = arg
            .get_help()
            .is_some_and(|h| !h.to_string().trim().is_empty());
        // roff escapes '-' as '\-'.
        let in_man = man.contains(&name.replace('-', "\\-"));
        if !has_help || !help.contains(&name) || !in_man {
            undocumented.push(name);
        }
    }
    assert!(
        undocumented.is_empty(),
        "options without documentation: {undocumented:?}"
    );
}

#[test]
fn help_lists_value_enum_values_and_examples() {
    let mut help = Vec::new();
    Args::command().write_long_help(&mut help).unwrap();
    let help = String::from_utf8(help).unwrap();
    for value in [
        "auto",
        "always",
        "never",
        "copy-file-range",
        "read-write",
        "none-fail",
        "older",
    ] {
        assert!(help.contains(value), "--help does not mention {value}");
    }
    assert!(help.contains("Examples:"), "--help has no examples");
    for heading in ["Copying data", "Trees", "Metadata", "Output", "Safety"] {
        assert!(help.contains(heading), "--help has no {heading} group");
    }
}

fn read_text(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap()
}

#[test]
fn readme_installs_the_tested_dependency_set_and_says_how_to_remove_it() {
    let readme = read_text("README.md");
    // Without --locked, cargo install ignores Cargo.lock and builds with newer crates.
    assert!(
        readme.contains("cargo install --locked --path ."),
        "README install command"
    );
    assert!(
        !readme.contains("cargo install --path ."),
        "an unlocked install command is left"
    );
    assert!(
        readme.contains("~/.cargo/bin/fcopy"),
        "README does not say where it goes"
    );
    assert!(
        readme.contains("cargo uninstall fcopy"),
        "README does not say how to remove it"
    );
}

/// Every file of these trees (recursively) with one of these extensions.
fn files_under(rel: &str, exts: &[&str], out: &mut Vec<PathBuf>) {
    let path = root().join(rel);
    if path.is_file() {
        return out.push(path);
    }
    for entry in fs::read_dir(&path).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files_under(p.strip_prefix(root()).unwrap().to_str().unwrap(), exts, out);
        } else if p
            .extension()
            .is_some_and(|e| exts.contains(&e.to_str().unwrap_or("")))
        {
            out.push(p);
        }
    }
}

#[test]
fn no_citation_of_a_design_file_the_repository_lacks() {
    let mut files = Vec::new();
    for rel in ["src", "tests", "README.md", "CHANGELOG.md", "man", "bench"] {
        if root().join(rel).exists() {
            files_under(rel, &["rs", "md", "1", "sh", "toml"], &mut files);
        }
    }
    let needle = ["DESIGN", ".md"].concat();
    let design_here = root().join(&needle).exists();
    let citing: Vec<_> = files
        .iter()
        .filter(|f| fs::read_to_string(f).is_ok_and(|t| t.contains(&needle)))
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        design_here || citing.is_empty(),
        "{citing:?} cite {needle}, which the repository does not have"
    );
}

/// What the bash completion offers for the words typed so far (the last one is being completed).
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = format!(
        "source {}; COMP_WORDS=({}); COMP_CWORD={}; _fcopy_with_equals fcopy '{}' '{}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        root().join("completions/fcopy.bash").display(),
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_option_values_after_equals() {
    if !crate::testenv::require_tool("bash") {
        return;
    }
    // As bash splits them: `fcopy --sparse al<TAB>` and `fcopy --sparse=al<TAB>`.
    assert_eq!(bash_complete(&["fcopy", "--sparse", "al"]), ["always"]);
    assert_eq!(bash_complete(&["fcopy", "--sparse", "=", "al"]), ["always"]);
    let backup = bash_complete(&["fcopy", "--backup", "="]);
    assert!(backup.contains(&"numbered".to_owned()), "{backup:?}");
    // `--spa<TAB>` offers `--sparse=` for an option that takes a value; flags stay bare.
    assert_eq!(bash_complete(&["fcopy", "--spa"]), ["--sparse="]);
    assert_eq!(bash_complete(&["fcopy", "--recursiv"]), ["--recursive"]);
    // GNU's ATTR_LIST after `--preserve=`, one word of the comma-separated list at a time (it
    // offered file names: new-user trial, round 11).
    assert_eq!(bash_complete(&["fcopy", "--preserve", "=", "mo"]), ["mode"]);
    assert_eq!(
        bash_complete(&["fcopy", "--no-preserve", "=", "mode,ti"]),
        ["mode,timestamps"]
    );
}

#[test]
fn optional_values_are_completed_only_after_equals() {
    // GNU's `--reflink[=WHEN]`, `--update[=UPDATE]`, `--backup[=CONTROL]`: the value only
    // ever follows '='; `-u` takes none. The completions offered `-u none` and `--reflink auto`
    // with a space (round 7's new user), which cp reads as an operand named `none`.
    if crate::testenv::require_tool("bash") {
        for option in [
            "-u",
            "--update",
            "--reflink",
            "--backup",
            "--progress",
            "--preserve",
        ] {
            let offered = bash_complete(&["fcopy", option, ""]);
            for word in ["none", "auto", "always", "numbered", "older"] {
                assert!(
                    !offered.contains(&word.to_owned()),
                    "{option} {word}: {offered:?}"
                );
            }
        }
        assert_eq!(
            bash_complete(&["fcopy", "--reflink", "=", "al"]),
            ["always"]
        );
        assert_eq!(
            bash_complete(&["fcopy", "--update", "=", "no"]),
            ["none", "none-fail"]
        );
        // A value that needs no '=' is still completed after a space.
        assert_eq!(bash_complete(&["fcopy", "--sparse", "al"]), ["always"]);
    }
    // zsh's `_arguments`: `--opt=-[...]` takes the value only in the same word; fish's `-r`
    // completes the next word as the value. Neither shell is installed here: the text.
    let zsh = fs::read_to_string(root().join("completions/_fcopy")).unwrap();
    let fish = fs::read_to_string(root().join("completions/fcopy.fish")).unwrap();
    for long in [
        "update", "reflink", "backup", "preserve", "progress", "context",
    ] {
        assert!(zsh.contains(&format!("--{long}=-[")), "zsh --{long}");
        let line = fish
            .lines()
            .find(|l| l.contains(&format!(" -l {long} ")))
            .unwrap();
        assert!(!line.contains("' -r"), "fish: {line}");
    }
    assert!(zsh.contains("'-u[") && !zsh.contains("'-u+["), "zsh -u");
    assert!(fish.contains("complete -c fcopy -s u -d "), "fish -u");
    assert!(
        zsh.contains("'--sparse=["),
        "zsh --sparse takes a value after a space too"
    );
}

/// The lines of a paragraph that end early: the next line's first word would have fit.
fn ragged_lines(text: &str, width: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut ragged = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.chars().count() > width {
            ragged.push(format!("too wide: {line:?}"));
        }
        let Some(next) = lines.get(i + 1) else {
            continue;
        };
        // A list item, or the line that introduces a list, ends where it ends.
        // So do the usage forms (`Usage: fcopy ...` and the `fcopy ...` lines under it).
        let list = next.trim_start().starts_with("- ")
            || line.trim_end().ends_with(':')
            || next.trim_start().starts_with("fcopy ");
        if line.trim().is_empty() || next.trim().is_empty() || indent(line) != indent(next) || list
        {
            continue;
        }
        let word = next.split_whitespace().next().unwrap_or("");
        if line.chars().count() + 1 + word.chars().count() < width {
            ragged.push(format!("{line:?} / {next:?}"));
        }
    }
    ragged
}

#[test]
fn help_at_80_columns_has_no_ragged_lines() {
    for width in [80, 100] {
        let help = Args::command()
            .term_width(width)
            .render_long_help()
            .to_string();
        let ragged = ragged_lines(&help, width);
        assert!(ragged.is_empty(), "--help at {width} columns: {ragged:#?}");
    }
}

/// The exit status as documented is the exit status fcopy gives: a declined `-i` is 0 (GNU
/// 9.1), 1 with `POSIXLY_CORRECT` (POSIX, GNU 9.2+); `-n` and `-u` skips are 0; the README's
/// table and the man page say so.
#[test]
fn exit_status_docs_match_a_declined_i_and_a_skip() {
    let env = crate::testenv::TestEnv::new();
    env.write("a", "new");
    env.write("b", "old");
    let declined = env.fcopy().args(&["-i", "a", "b"]).stdin_bytes("n\n").run();
    assert_eq!(declined.code(), Some(0), "{}", declined.stderr());
    let posix = env
        .fcopy()
        .wrapped(&["env", "POSIXLY_CORRECT=1"])
        .args(&["-i", "a", "b"])
        .stdin_bytes("n\n")
        .run();
    assert_eq!(posix.code(), Some(1), "{}", posix.stderr());
    assert_eq!(env.run(&["-n", "a", "b"]).code(), Some(0));
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let zero = readme
        .lines()
        .find(|l| l.starts_with("| 0 |"))
        .expect("README's exit status table has a 0 row");
    assert!(
        zero.contains("-i"),
        "README's 0 row omits a declined -i: {zero}"
    );
    let one = readme.lines().find(|l| l.starts_with("| 1 |")).unwrap();
    assert!(
        one.contains("-i") && one.contains("POSIXLY_CORRECT"),
        "README's 1 row omits a declined -i under POSIXLY_CORRECT: {one}"
    );
    let man = String::from_utf8(man_page()).unwrap();
    let status = &man[man.find("EXIT STATUS").unwrap()..];
    let zero = &status[..status.find("\\fB1\\fR").unwrap()];
    assert!(
        zero.contains("\\-n") && zero.contains("\\-i") && zero.contains("status 1"),
        "the man page's 0 does not say how skips and a declined -i end: {zero}"
    );
}

/// The JSON fields documented are the fields fcopy writes: every key of real records (a
/// verified copy, a stream, a name that is not UTF-8) is in the man page and the README, and the
/// README does not claim that the name-bytes fields are in every record.
#[test]
fn json_fields_in_the_docs_are_the_fields_written() {
    use std::os::unix::ffi::OsStrExt;
    let env = crate::testenv::TestEnv::new();
    env.write("f", "data");
    let odd = std::ffi::OsStr::from_bytes(b"n\xffx");
    fs::write(env.join(odd), "x").unwrap();
    let mut records = String::new();
    for args in [
        vec!["--json", "--verify=hash", "f", "g"],
        vec!["--json", "--resume", "f", "g"],
    ] {
        records += &env.run(&args).stdout();
    }
    let stream = env
        .fcopy()
        .args(&["--json", "--verify", "-", "s"])
        .stdin_bytes("x")
        .run();
    assert!(stream.stdout().contains(r#""verified":"not verifiable""#));
    records += &stream.stdout();
    let mut odd_args = vec![std::ffi::OsStr::new("--json"), odd];
    odd_args.push(std::ffi::OsStr::new("h"));
    records += &env.run(&odd_args).stdout();
    let man = String::from_utf8(man_page()).unwrap();
    let json = &man[man.find("JSON OUTPUT").unwrap()..man.find("PROGRESS AND STATUS").unwrap()];
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let mut keys = Vec::new();
    for line in records.lines().filter(|l| !l.contains(r#""summary""#)) {
        for part in line.split(",\"").skip(1) {
            let key = part.split('"').next().unwrap().to_string();
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    assert!(keys.contains(&"source_bytes".to_string()), "{records}");
    for key in &keys {
        assert!(
            json.contains(key.as_str()),
            "the man page's JSON fields lack {key}"
        );
        assert!(
            readme.contains(&format!("`{key}`")),
            "README lacks the JSON field {key}"
        );
    }
    assert!(json.contains("not verifiable"), "man page: verified values");
    assert!(
        readme.contains("`not verifiable`"),
        "README: verified values"
    );
    assert!(
        !readme.contains("has every field below, in this order"),
        "README says every record has source_bytes/dest_bytes"
    );
}

/// `--json` with `-v`: the records replace the `-v` lines (nothing else on standard output), and
/// `--help`, the man page and the README say so.
#[test]
fn json_replaces_verbose_lines_and_says_so() {
    let env = crate::testenv::TestEnv::new();
    env.write("a", "1");
    let run = env.run(&["--json", "-v", "a", "b"]);
    assert!(
        run.stdout().lines().all(|l| l.starts_with('{')),
        "{}",
        run.stdout()
    );
    let help = env.run(&["--help"]).stdout();
    let at = help.find("      --json").unwrap();
    let json_help: String = help[at..].chars().take(200).collect();
    assert!(json_help.contains("-v and --debug"), "--help: {json_help}");
    let man = String::from_utf8(man_page()).unwrap();
    let json = &man[man.find("JSON OUTPUT").unwrap()..man.find("PROGRESS AND STATUS").unwrap()];
    assert!(
        json.contains("\\-v and \\-\\-debug are not printed"),
        "{json}"
    );
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains("replace the lines of `-v` and `--debug`"));
}
