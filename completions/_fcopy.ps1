
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'fcopy' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'fcopy'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'fcopy' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Copy all SOURCE arguments into DIRECTORY')
            [CompletionResult]::new('--target-directory', '--target-directory', [CompletionResultType]::ParameterName, 'Copy all SOURCE arguments into DIRECTORY')
            [CompletionResult]::new('--preserve', '--preserve', [CompletionResultType]::ParameterName, 'Preserve the attributes (default: mode,ownership,timestamps), if possible: mode, ownership, timestamps, links, xattr, context, all')
            [CompletionResult]::new('--no-preserve', '--no-preserve', [CompletionResultType]::ParameterName, 'Don''t preserve the specified attributes')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Like -Z; with CTX, ignored with a warning, as GNU cp without SELinux')
            [CompletionResult]::new('--offset-in', '--offset-in', [CompletionResultType]::ParameterName, 'Start reading SOURCE at this byte offset (default 0) [BYTES: 4096, 64K, 1GiB, 10MB]')
            [CompletionResult]::new('--offset-out', '--offset-out', [CompletionResultType]::ParameterName, 'Start writing DEST at this byte offset (default 0); DEST keeps all its other bytes')
            [CompletionResult]::new('--len', '--len', [CompletionResultType]::ParameterName, 'Copy this many bytes (default: to the end of SOURCE)')
            [CompletionResult]::new('--sparse', '--sparse', [CompletionResultType]::ParameterName, 'Control creation of sparse files (holes)')
            [CompletionResult]::new('--reflink', '--reflink', [CompletionResultType]::ParameterName, 'Control clone/CoW copies (reflinks); --reflink alone means always; a byte range clones its whole blocks, and a last partial block that ends both files (FICLONERANGE)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'How to move the bytes')
            [CompletionResult]::new('--backup', '--backup', [CompletionResultType]::ParameterName, 'Make a backup of each existing destination file: none/off, numbered/t, existing/nil, simple/never')
            [CompletionResult]::new('-S', '-S ', [CompletionResultType]::ParameterName, 'Override the usual backup suffix (~)')
            [CompletionResult]::new('--suffix', '--suffix', [CompletionResultType]::ParameterName, 'Override the usual backup suffix (~)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Read jobs from FILE (''-'' = standard input): SOURCE<TAB>DEST[<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN] per line')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Copy up to N files at once in tree and batch copies [default: number of CPUs + 1, at most 8; 32 onto a network or FUSE filesystem]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Copy up to N files at once in tree and batch copies [default: number of CPUs + 1, at most 8; 32 onto a network or FUSE filesystem]')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Show a progress bar on standard error; --progress alone and -g mean always')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'After the data, flush DEST, drop it from the page cache and compare it with SOURCE; a mismatch fails the file; a copy that cannot be read again (a stream, a /proc file) is kept with a warning. --verify=hash also hashes both with BLAKE3 and prints the digest (--json, --debug)')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'In trees, skip entries whose path relative to the operand matches GLOB (''DIR/'' matches directories only; repeatable)')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'In trees, copy entries matching GLOB even if an --exclude matches (repeatable)')
            [CompletionResult]::new('--exclude-from', '--exclude-from', [CompletionResultType]::ParameterName, 'Read --exclude patterns from FILE, one per line (''#'' comments and blank lines ignored)')
            [CompletionResult]::new('--files-from', '--files-from', [CompletionResultType]::ParameterName, 'Copy the SOURCE names listed in FILE (''-'' = standard input; one a line, NUL-separated with -0) into -t DIRECTORY or the last operand')
            [CompletionResult]::new('--update', '--update', [CompletionResultType]::ParameterName, 'Control which existing files are updated; -u means --update=older')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Treat DEST as a normal file, never as a directory to copy into')
            [CompletionResult]::new('--no-target-directory', '--no-target-directory', [CompletionResultType]::ParameterName, 'Treat DEST as a normal file, never as a directory to copy into')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Copy directories recursively')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Copy directories recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Copy directories recursively')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Same as -dR --preserve=all')
            [CompletionResult]::new('--archive', '--archive', [CompletionResultType]::ParameterName, 'Same as -dR --preserve=all')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Same as --no-dereference --preserve=links')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Always follow symbolic links in SOURCE')
            [CompletionResult]::new('--dereference', '--dereference', [CompletionResultType]::ParameterName, 'Always follow symbolic links in SOURCE')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Never follow symbolic links in SOURCE')
            [CompletionResult]::new('--no-dereference', '--no-dereference', [CompletionResultType]::ParameterName, 'Never follow symbolic links in SOURCE')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Follow command-line symbolic links in SOURCE')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Stay on this file system')
            [CompletionResult]::new('--one-file-system', '--one-file-system', [CompletionResultType]::ParameterName, 'Stay on this file system')
            [CompletionResult]::new('--parents', '--parents', [CompletionResultType]::ParameterName, 'Use full source file name under DIRECTORY (--path is GNU''s deprecated alias)')
            [CompletionResult]::new('--copy-contents', '--copy-contents', [CompletionResultType]::ParameterName, 'Copy contents of special files when recursive')
            [CompletionResult]::new('--strip-trailing-slashes', '--strip-trailing-slashes', [CompletionResultType]::ParameterName, 'Remove any trailing slashes from each SOURCE argument')
            [CompletionResult]::new('--keep-directory-symlink', '--keep-directory-symlink', [CompletionResultType]::ParameterName, 'Follow existing symlinks to directories in the destination')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Hard link files instead of copying')
            [CompletionResult]::new('--link', '--link', [CompletionResultType]::ParameterName, 'Hard link files instead of copying')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Make symbolic links instead of copying')
            [CompletionResult]::new('--symbolic-link', '--symbolic-link', [CompletionResultType]::ParameterName, 'Make symbolic links instead of copying')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Same as --preserve=mode,ownership,timestamps')
            [CompletionResult]::new('--attributes-only', '--attributes-only', [CompletionResultType]::ParameterName, 'Don''t copy the file data, just the attributes')
            [CompletionResult]::new('-Z', '-Z ', [CompletionResultType]::ParameterName, 'Accepted for compatibility and ignored, as GNU cp without SELinux (no context is set)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Do not overwrite an existing file (overrides a previous -i)')
            [CompletionResult]::new('--no-clobber', '--no-clobber', [CompletionResultType]::ParameterName, 'Do not overwrite an existing file (overrides a previous -i)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Prompt before overwrite (overrides a previous -n)')
            [CompletionResult]::new('--interactive', '--interactive', [CompletionResultType]::ParameterName, 'Prompt before overwrite (overrides a previous -n)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'If an existing destination file cannot be opened, remove it and try again')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'If an existing destination file cannot be opened, remove it and try again')
            [CompletionResult]::new('--remove-destination', '--remove-destination', [CompletionResultType]::ParameterName, 'Remove each existing destination file before attempting to open it')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Like --backup but does not accept an argument')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'Input is NUL-separated: --batch fields (SOURCE, DEST, SOURCE, DEST, ...), --files-from names')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'Input is NUL-separated: --batch fields (SOURCE, DEST, SOURCE, DEST, ...), --files-from names')
            [CompletionResult]::new('--atomic', '--atomic', [CompletionResultType]::ParameterName, 'Write each file to a temporary name beside DEST and rename it into place when complete')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'Flush each file (and in tree copies each directory) to stable storage before reporting it done')
            [CompletionResult]::new('-g', '-g', [CompletionResultType]::ParameterName, 'Same as --progress=always')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Explain what is being done: ''a'' -> ''b''')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Explain what is being done: ''a'' -> ''b''')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Explain how each file is copied (implies --verbose): copy offload, reflink, sparse detection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per file and a summary on stdout (JSON Lines); replaces the lines of -v and --debug')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be copied and by which strategy; write nothing')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Complete a DEST that is a shorter copy of SOURCE (its last up-to-1 MiB must match) from where it ends (a complete one: nothing to copy; one older than SOURCE is copied again); keep partial files when interrupted (with --atomic, the temporary .DEST.fcopy-partial, renamed over DEST when complete)')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Print files copied, skipped and failed, bytes copied and cloned, time and rate on standard error at the end')
            [CompletionResult]::new('--mkpath', '--mkpath', [CompletionResultType]::ParameterName, 'Create the missing directories a destination needs: -t DIR, DEST''s own, each batch job''s')
            [CompletionResult]::new('--checksum', '--checksum', [CompletionResultType]::ParameterName, 'With --update=changed: when size and mtime match, compare the contents too and copy the file if they differ')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (cp has no -h: it is an invalid option, as in GNU cp)')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Control which existing files are updated; -u means --update=older')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
