
use builtin;
use str;

set edit:completion:arg-completer[fcopy] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'fcopy'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'fcopy'= {
            cand -t 'Copy all SOURCE arguments into DIRECTORY'
            cand --target-directory 'Copy all SOURCE arguments into DIRECTORY'
            cand --preserve 'Preserve the attributes (default: mode,ownership,timestamps), if possible: mode, ownership, timestamps, links, xattr, context, all'
            cand --no-preserve 'Don''t preserve the specified attributes'
            cand --context 'Like -Z; with CTX, ignored with a warning, as GNU cp without SELinux'
            cand --offset-in 'Start reading SOURCE at this byte offset (default 0) [BYTES: 4096, 64K, 1GiB, 10MB]'
            cand --offset-out 'Start writing DEST at this byte offset (default 0); DEST keeps all its other bytes'
            cand --len 'Copy this many bytes (default: to the end of SOURCE)'
            cand --sparse 'Control creation of sparse files (holes)'
            cand --reflink 'Control clone/CoW copies (reflinks); --reflink alone means always; a byte range clones its whole blocks, and a last partial block that ends both files (FICLONERANGE)'
            cand --method 'How to move the bytes'
            cand --backup 'Make a backup of each existing destination file: none/off, numbered/t, existing/nil, simple/never'
            cand -S 'Override the usual backup suffix (~)'
            cand --suffix 'Override the usual backup suffix (~)'
            cand --batch 'Read jobs from FILE (''-'' = standard input): SOURCE<TAB>DEST[<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN] per line'
            cand -j 'Copy up to N files at once in tree and batch copies [default: number of CPUs + 1, at most 8; 32 onto a network or FUSE filesystem]'
            cand --jobs 'Copy up to N files at once in tree and batch copies [default: number of CPUs + 1, at most 8; 32 onto a network or FUSE filesystem]'
            cand --progress 'Show a progress bar on standard error; --progress alone and -g mean always'
            cand --verify 'After the data, flush DEST, drop it from the page cache and compare it with SOURCE; a mismatch fails the file; a copy that cannot be read again (a stream, a /proc file) is kept with a warning. --verify=hash also hashes both with BLAKE3 and prints the digest (--json, --debug)'
            cand --exclude 'In trees, skip entries whose path relative to the operand matches GLOB (''DIR/'' matches directories only; repeatable)'
            cand --include 'In trees, copy entries matching GLOB even if an --exclude matches (repeatable)'
            cand --exclude-from 'Read --exclude patterns from FILE, one per line (''#'' comments and blank lines ignored)'
            cand --files-from 'Copy the SOURCE names listed in FILE (''-'' = standard input; one a line, NUL-separated with -0) into -t DIRECTORY or the last operand'
            cand --update 'Control which existing files are updated; -u means --update=older'
            cand -T 'Treat DEST as a normal file, never as a directory to copy into'
            cand --no-target-directory 'Treat DEST as a normal file, never as a directory to copy into'
            cand -r 'Copy directories recursively'
            cand -R 'Copy directories recursively'
            cand --recursive 'Copy directories recursively'
            cand -a 'Same as -dR --preserve=all'
            cand --archive 'Same as -dR --preserve=all'
            cand -d 'Same as --no-dereference --preserve=links'
            cand -L 'Always follow symbolic links in SOURCE'
            cand --dereference 'Always follow symbolic links in SOURCE'
            cand -P 'Never follow symbolic links in SOURCE'
            cand --no-dereference 'Never follow symbolic links in SOURCE'
            cand -H 'Follow command-line symbolic links in SOURCE'
            cand -x 'Stay on this file system'
            cand --one-file-system 'Stay on this file system'
            cand --parents 'Use full source file name under DIRECTORY (--path is GNU''s deprecated alias)'
            cand --copy-contents 'Copy contents of special files when recursive'
            cand --strip-trailing-slashes 'Remove any trailing slashes from each SOURCE argument'
            cand --keep-directory-symlink 'Follow existing symlinks to directories in the destination'
            cand -l 'Hard link files instead of copying'
            cand --link 'Hard link files instead of copying'
            cand -s 'Make symbolic links instead of copying'
            cand --symbolic-link 'Make symbolic links instead of copying'
            cand -p 'Same as --preserve=mode,ownership,timestamps'
            cand --attributes-only 'Don''t copy the file data, just the attributes'
            cand -Z 'Accepted for compatibility and ignored, as GNU cp without SELinux (no context is set)'
            cand -n 'Do not overwrite an existing file (overrides a previous -i)'
            cand --no-clobber 'Do not overwrite an existing file (overrides a previous -i)'
            cand -i 'Prompt before overwrite (overrides a previous -n)'
            cand --interactive 'Prompt before overwrite (overrides a previous -n)'
            cand -f 'If an existing destination file cannot be opened, remove it and try again'
            cand --force 'If an existing destination file cannot be opened, remove it and try again'
            cand --remove-destination 'Remove each existing destination file before attempting to open it'
            cand -b 'Like --backup but does not accept an argument'
            cand -0 'Input is NUL-separated: --batch fields (SOURCE, DEST, SOURCE, DEST, ...), --files-from names'
            cand --null 'Input is NUL-separated: --batch fields (SOURCE, DEST, SOURCE, DEST, ...), --files-from names'
            cand --atomic 'Write each file to a temporary name beside DEST and rename it into place when complete'
            cand --sync 'Flush each file (and in tree copies each directory) to stable storage before reporting it done'
            cand -g 'Same as --progress=always'
            cand -v 'Explain what is being done: ''a'' -> ''b'''
            cand --verbose 'Explain what is being done: ''a'' -> ''b'''
            cand --debug 'Explain how each file is copied (implies --verbose): copy offload, reflink, sparse detection'
            cand --json 'Print one JSON object per file and a summary on stdout (JSON Lines); replaces the lines of -v and --debug'
            cand --dry-run 'Show what would be copied and by which strategy; write nothing'
            cand --resume 'Complete a DEST that is a shorter copy of SOURCE (its last up-to-1 MiB must match) from where it ends (a complete one: nothing to copy; one older than SOURCE is copied again); keep partial files when interrupted (with --atomic, the temporary .DEST.fcopy-partial, renamed over DEST when complete)'
            cand --stats 'Print files copied, skipped and failed, bytes copied and cloned, time and rate on standard error at the end'
            cand --mkpath 'Create the missing directories a destination needs: -t DIR, DEST''s own, each batch job''s'
            cand --checksum 'With --update=changed: when size and mtime match, compare the contents too and copy the file if they differ'
            cand --help 'Print help (cp has no -h: it is an invalid option, as in GNU cp)'
            cand --version 'Print version'
            cand -u 'Control which existing files are updated; -u means --update=older'
        }
    ]
    $completions[$command]
}
