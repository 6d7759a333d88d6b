_fcopy() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="fcopy"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        fcopy)
            opts="-t -T -R -r -a -d -L -P -H -x -l -s -p -Z -n -i -f -b -S -0 -j -g -v -u --target-directory --no-target-directory --recursive --archive --dereference --no-dereference --one-file-system --parents --copy-contents --strip-trailing-slashes --keep-directory-symlink --link --symbolic-link --preserve --no-preserve --attributes-only --context --offset-in --offset-out --len --sparse --reflink --method --no-clobber --interactive --force --remove-destination --backup --suffix --batch --null --jobs --atomic --sync --progress --verbose --debug --json --dry-run --resume --verify --exclude --include --exclude-from --stats --mkpath --checksum --files-from --help --version --update"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --target-directory)
                    COMPREPLY=()
                    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
                        compopt -o plusdirs
                    fi
                    return 0
                    ;;
                -t)
                    COMPREPLY=()
                    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
                        compopt -o plusdirs
                    fi
                    return 0
                    ;;
                --preserve)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --no-preserve)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --context)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --offset-in)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --offset-out)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --sparse)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --reflink)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --method)
                    COMPREPLY=($(compgen -W "auto copy-file-range read-write" -- "${cur}"))
                    return 0
                    ;;
                --backup)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --suffix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -S)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --batch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -j)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --progress)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                --verify)
                    COMPREPLY=($(compgen -W "compare hash" -- "${cur}"))
                    return 0
                    ;;
                --exclude)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --include)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --exclude-from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --files-from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --update)
                    COMPREPLY=($(compgen -W "all none none-fail older changed" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

# fcopy: `--opt=value` (bash splits the word at '=').
_fcopy_value() {
    case "$2" in
        --backup)
            # GNU's version-control words (the value is optional, so only after '=').
            COMPREPLY=($(compgen -W "none off numbered t existing nil simple never" -- "$3"))
            ;;
        --preserve|--no-preserve)
            # GNU's ATTR_LIST, comma-separated: the word after the last comma is completed.
            local listed="" word="$3"
            if [[ ${word} == *,* ]]; then
                listed="${word%,*},"
                word="${word##*,}"
            fi
            COMPREPLY=($(compgen -P "${listed}" -W "mode ownership timestamps links context xattr all" -- "${word}"))
            ;;
        *)
            _fcopy "$1" "$3" "$2"
            ;;
    esac
}

_fcopy_with_equals() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ ${cur} == "=" && ${prev} == --* ]]; then
        _fcopy_value "$1" "${prev}" ""
        return
    fi
    if [[ ${prev} == "=" && ${COMP_CWORD} -ge 2 ]]; then
        _fcopy_value "$1" "${COMP_WORDS[COMP_CWORD-2]}" "${cur}"
        return
    fi
    case "${prev}" in
        --preserve|--context|--reflink|--update|--backup|--progress|--verify)
            # The value is optional and only ever given after '=': this word is not it.
            _fcopy "$1" "$2" ""
            return
            ;;
    esac
    _fcopy "$@"
    if [[ ${cur} == --* ]]; then
        local with_values=" --target-directory --preserve --no-preserve --context --offset-in --offset-out --len --sparse --reflink --method --update --backup --suffix --batch --jobs --progress --verify --exclude --include --exclude-from --files-from " i
        for i in "${!COMPREPLY[@]}"; do
            if [[ ${with_values} == *" ${COMPREPLY[i]} "* ]]; then
                COMPREPLY[i]="${COMPREPLY[i]}="
                compopt -o nospace 2>/dev/null
            fi
        done
    fi
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _fcopy_with_equals -o nosort -o bashdefault -o default fcopy
else
    complete -F _fcopy_with_equals -o bashdefault -o default fcopy
fi
