complete -c fcopy -s t -l target-directory -d 'Copy all SOURCE arguments into DIRECTORY' -r -f -a "(__fish_complete_directories)"
complete -c fcopy -l preserve -d 'Preserve the attributes (default: mode,ownership,timestamps), if possible: mode, ownership, timestamps, links, xattr, context, all'
complete -c fcopy -l no-preserve -d 'Don\'t preserve the specified attributes' -r
complete -c fcopy -l context -d 'Like -Z; with CTX, ignored with a warning, as GNU cp without SELinux'
complete -c fcopy -l offset-in -d 'Start reading SOURCE at this byte offset (default 0) [BYTES: 4096, 64K, 1GiB, 10MB]' -r
complete -c fcopy -l offset-out -d 'Start writing DEST at this byte offset (default 0); DEST keeps all its other bytes' -r
complete -c fcopy -l len -d 'Copy this many bytes (default: to the end of SOURCE)' -r
complete -c fcopy -l sparse -d 'Control creation of sparse files (holes)' -r -f -a "auto\t'Keep holes the source has (detected with SEEK_DATA/SEEK_HOLE)'
always\t'Also turn runs of zero bytes into holes'
never\t'Write every byte: a fully allocated destination (no reflink, no copy_file_range)'"
complete -c fcopy -l reflink -d 'Control clone/CoW copies (reflinks); --reflink alone means always; a byte range clones its whole blocks, and a last partial block that ends both files (FICLONERANGE)' -f -a "auto\t'Clone where the filesystem can (btrfs, xfs), else copy'
always\t'Clone with FICLONE or fail'
never\t'Never share extents: on filesystems that can clone, copy_file_range is avoided too (it may clone)'"
complete -c fcopy -l method -d 'How to move the bytes' -r -f -a "auto\t'Reflink (per --reflink), then copy_file_range, then read/write'
copy-file-range\t'copy_file_range only: fail with the reason instead of falling back'
read-write\t'read/write only: never the kernel copy'"
complete -c fcopy -l backup -d 'Make a backup of each existing destination file: none/off, numbered/t, existing/nil, simple/never'
complete -c fcopy -s S -l suffix -d 'Override the usual backup suffix (~)' -r
complete -c fcopy -l batch -d 'Read jobs from FILE (\'-\' = standard input): SOURCE<TAB>DEST[<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN] per line' -r -F
complete -c fcopy -s j -l jobs -d 'Copy up to N files at once in tree and batch copies [default: number of CPUs + 1, at most 8; 32 onto a network or FUSE filesystem]' -r
complete -c fcopy -l progress -d 'Show a progress bar on standard error; --progress alone and -g mean always' -f -a "auto\t'Only on a terminal, and only once a copy has run for about a second'
always\t'From the start, on a terminal (never into a file or pipe; kill -USR1 prints a status line anywhere)'
never\t'Never'"
complete -c fcopy -l verify -d 'After the data, flush DEST, drop it from the page cache and compare it with SOURCE; a mismatch fails the file; a copy that cannot be read again (a stream, a /proc file) is kept with a warning. --verify=hash also hashes both with BLAKE3 and prints the digest (--json, --debug)' -f -a "compare\t'Compare SOURCE and DEST byte for byte (plain `--verify`)'
hash\t'Compare, and hash both with BLAKE3; the digest is printed'"
complete -c fcopy -l exclude -d 'In trees, skip entries whose path relative to the operand matches GLOB (\'DIR/\' matches directories only; repeatable)' -r
complete -c fcopy -l include -d 'In trees, copy entries matching GLOB even if an --exclude matches (repeatable)' -r
complete -c fcopy -l exclude-from -d 'Read --exclude patterns from FILE, one per line (\'#\' comments and blank lines ignored)' -r -F
complete -c fcopy -l files-from -d 'Copy the SOURCE names listed in FILE (\'-\' = standard input; one a line, NUL-separated with -0) into -t DIRECTORY or the last operand' -r -F
complete -c fcopy -l update -d 'Control which existing files are updated; -u means --update=older' -f -a "all\t'Replace every existing destination (the default without -u)'
none\t'Never replace an existing destination'
none-fail\t'Never replace, and fail if a destination exists'
older\t'Replace only destinations older than their source'
changed\t'Replace only regular files whose size or mtime differs from their source\'s (skip finished copies; use with -a or -p, which keep mtimes). A DEST given SOURCE\'s times without its data (--attributes-only, or a byte range with -p) counts as finished unless --checksum'"
complete -c fcopy -s T -l no-target-directory -d 'Treat DEST as a normal file, never as a directory to copy into'
complete -c fcopy -s r -s R -l recursive -d 'Copy directories recursively'
complete -c fcopy -s a -l archive -d 'Same as -dR --preserve=all'
complete -c fcopy -s d -d 'Same as --no-dereference --preserve=links'
complete -c fcopy -s L -l dereference -d 'Always follow symbolic links in SOURCE'
complete -c fcopy -s P -l no-dereference -d 'Never follow symbolic links in SOURCE'
complete -c fcopy -s H -d 'Follow command-line symbolic links in SOURCE'
complete -c fcopy -s x -l one-file-system -d 'Stay on this file system'
complete -c fcopy -l parents -d 'Use full source file name under DIRECTORY (--path is GNU\'s deprecated alias)'
complete -c fcopy -l copy-contents -d 'Copy contents of special files when recursive'
complete -c fcopy -l strip-trailing-slashes -d 'Remove any trailing slashes from each SOURCE argument'
complete -c fcopy -l keep-directory-symlink -d 'Follow existing symlinks to directories in the destination'
complete -c fcopy -s l -l link -d 'Hard link files instead of copying'
complete -c fcopy -s s -l symbolic-link -d 'Make symbolic links instead of copying'
complete -c fcopy -s p -d 'Same as --preserve=mode,ownership,timestamps'
complete -c fcopy -l attributes-only -d 'Don\'t copy the file data, just the attributes'
complete -c fcopy -s Z -d 'Accepted for compatibility and ignored, as GNU cp without SELinux (no context is set)'
complete -c fcopy -s n -l no-clobber -d 'Do not overwrite an existing file (overrides a previous -i)'
complete -c fcopy -s i -l interactive -d 'Prompt before overwrite (overrides a previous -n)'
complete -c fcopy -s f -l force -d 'If an existing destination file cannot be opened, remove it and try again'
complete -c fcopy -l remove-destination -d 'Remove each existing destination file before attempting to open it'
complete -c fcopy -s b -d 'Like --backup but does not accept an argument'
complete -c fcopy -s 0 -l null -d 'Input is NUL-separated: --batch fields (SOURCE, DEST, SOURCE, DEST, ...), --files-from names'
complete -c fcopy -l atomic -d 'Write each file to a temporary name beside DEST and rename it into place when complete'
complete -c fcopy -l sync -d 'Flush each file (and in tree copies each directory) to stable storage before reporting it done'
complete -c fcopy -s g -d 'Same as --progress=always'
complete -c fcopy -s v -l verbose -d 'Explain what is being done: \'a\' -> \'b\''
complete -c fcopy -l debug -d 'Explain how each file is copied (implies --verbose): copy offload, reflink, sparse detection'
complete -c fcopy -l json -d 'Print one JSON object per file and a summary on stdout (JSON Lines); replaces the lines of -v and --debug'
complete -c fcopy -l dry-run -d 'Show what would be copied and by which strategy; write nothing'
complete -c fcopy -l resume -d 'Complete a DEST that is a shorter copy of SOURCE (its last up-to-1 MiB must match) from where it ends (a complete one: nothing to copy; one older than SOURCE is copied again); keep partial files when interrupted (with --atomic, the temporary .DEST.fcopy-partial, renamed over DEST when complete)'
complete -c fcopy -l stats -d 'Print files copied, skipped and failed, bytes copied and cloned, time and rate on standard error at the end'
complete -c fcopy -l mkpath -d 'Create the missing directories a destination needs: -t DIR, DEST\'s own, each batch job\'s'
complete -c fcopy -l checksum -d 'With --update=changed: when size and mtime match, compare the contents too and copy the file if they differ'
complete -c fcopy -l help -d 'Print help (cp has no -h: it is an invalid option, as in GNU cp)'
complete -c fcopy -l version -d 'Print version'
complete -c fcopy -s u -d 'Control which existing files are updated; -u means --update=older'
