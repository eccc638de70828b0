# bash completion for skiff: commands, subcommands and flags, read from skiff's own --help
# so that it never falls out of step with the executable.
_skiff_words_from_help() { # prints command names (section "Commands") or flags from `skiff ARGS --help`
  local mode=$1; shift
  if [ "$mode" = commands ]; then
    "${_skiff_bin:-skiff}" "$@" --help 2>/dev/null | awk '/^[A-Za-z ]*Commands:$/{f=1;next} /^$/{f=0} f&&/^  [a-z]/{print $1}'
  else
    "${_skiff_bin:-skiff}" "$@" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,' | sort -u
  fi
}

_skiff() {
  local cur=${COMP_WORDS[COMP_CWORD]} _skiff_bin=${COMP_WORDS[0]}
  local path=() i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      --root|--runroot|--storage-opt|--config|--log-level|-l) ((i++)); continue ;;
      -*) continue ;;
    esac
    path+=("$word")
    # Stop at a leaf: a word that names no further commands.
    [ -z "$(_skiff_words_from_help commands "${path[@]}")" ] && break
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_skiff_words_from_help flags "${path[@]}")" -- "$cur"))
  else
    local cmds
    cmds=$(_skiff_words_from_help commands "${path[@]}")
    if [ -n "$cmds" ]; then COMPREPLY=($(compgen -W "$cmds" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
  fi
}
complete -F _skiff skiff
