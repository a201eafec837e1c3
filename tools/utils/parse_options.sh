#!/usr/bin/env bash
# Parse "--name value" and "--name=value" options into the calling script's shell variables.
#
# Source it after declaring every option with its default and a comment, at the top level:
#     stage=0            # first stage to run
#     test_sets="dev"    # sets to score, space separated
#     . utils/parse_options.sh
# Then "--stop-stage 3" (or --stop_stage=3) sets stop_stage=3. The options are exactly the
# variables assigned at the start of a line before the line that sources this file (except
# help_message); anything else is rejected with a message and exit status 1. An option whose
# default is true or false takes only true or false. Parsing stops at the first argument not
# starting with "--"; what is left stays in "$@". "--help" (or -h) prints $help_message, if
# set, and every option with its current value (the default, or what earlier arguments set)
# and its comment, then exits 0.

_po_script=${BASH_SOURCE[1]:-$0}
_po_name=$(basename "${_po_script}")

# name<TAB>comment for each option declared in the calling script.
_po_declared=$(awk '
  /parse_options\.sh/ && !/^[[:space:]]*#/ { exit }
  match($0, /^[A-Za-z_][A-Za-z0-9_]*=/) {
    name = substr($0, 1, RLENGTH - 1); comment = ""
    if (name == "help_message") next
    if (match($0, /[[:space:]]#[[:space:]]?/)) comment = substr($0, RSTART + RLENGTH)
    print name "\t" comment
  }' "${_po_script}")

_po_is_option() {
  local n
  while IFS=$'\t' read -r n _; do [ "$n" = "$1" ] && return 0; done <<< "${_po_declared}"
  return 1
}

_po_help() {
  [ -n "${help_message:-}" ] && printf '%s\n\n' "${help_message}"
  echo "Options (current value in brackets; give as --name value or --name=value):"
  local n c
  while IFS=$'\t' read -r n c; do
    [ -n "$n" ] || continue
    printf '  --%-22s %s [%s]\n' "${n//_/-}" "$c" "${!n}"
  done <<< "${_po_declared}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h) _po_help; exit 0 ;;
    --) shift; break ;;
    --?*) ;;
    *) break ;;
  esac
  _po_arg=${1#--}
  if [[ "${_po_arg}" == *=* ]]; then
    _po_opt=${_po_arg%%=*}; _po_value=${_po_arg#*=}; shift
  else
    _po_opt=${_po_arg}
    if [ $# -lt 2 ]; then
      echo "${_po_name}: option --${_po_opt} needs a value (see ${_po_name} --help)" >&2; exit 1
    fi
    _po_value=$2; shift 2
  fi
  _po_var=${_po_opt//-/_}
  if ! [[ "${_po_var}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || ! _po_is_option "${_po_var}"; then
    echo "${_po_name}: unknown option --${_po_opt} (see ${_po_name} --help)" >&2; exit 1
  fi
  case "${!_po_var}" in
    true|false)
      if [ "${_po_value}" != true ] && [ "${_po_value}" != false ]; then
        echo "${_po_name}: option --${_po_opt} takes true or false, got '${_po_value}'" >&2; exit 1
      fi ;;
  esac
  printf -v "${_po_var}" '%s' "${_po_value}"
done
unset _po_arg _po_opt _po_value _po_var
true
