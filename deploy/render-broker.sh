#!/usr/bin/env bash
# render-broker.sh — render deploy/mosquitto.conf.in and deploy/acl.in into a
# directory, ready for `mosquitto -c DIR/mosquitto.conf`.
#
# Why a renderer and not a finished file: paths, port and user differ between
# the city's server (/etc/mosquitto, 8883, user mosquitto) and tests (a temp
# dir, a free port, the current user). The templates stay the one reviewed
# source of every security setting; only locations are substituted.
set -euo pipefail
export LC_ALL=C

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
  cat <<EOF
usage: $PROG --out DIR --ca FILE --cert FILE --key FILE --crl FILE [options]
  --out DIR          where mosquitto.conf and acl are written (created)
  --ca FILE          city CA certificate (pki.sh: D/ca.crt)
  --cert FILE        broker certificate (pki.sh: D/server/HOST.crt)
  --key FILE         broker key (pki.sh: D/server/HOST.key)
  --crl FILE         CRL (pki.sh: D/crl.pem)
  --port N           TLS listener port (default 8883)
  --bind ADDR        listen on this address only (default: all interfaces)
  --data DIR         persistence directory (default DIR/data, created)
  --user NAME        user Mosquitto drops to when started as root (default mosquitto)
  --aggregator CN    the aggregator certificate's CN (default gfi-aggregator);
                     repeat it for several aggregator instances (each has its
                     own certificate, as the broker makes the CN the client id)
Relative paths are made absolute. Mosquitto must be restarted to load a new CRL.
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
die_usage() { printf '%s: %s\n' "$PROG" "$*" >&2; printf "run '%s --help' for usage\n" "$PROG" >&2; exit 2; }
abspath() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }

out="" ca="" cert="" key="" crl="" port=8883 bind="" data="" user=mosquitto
aggregators=()
while (($#)); do
  case $1 in
    --out) out=${2-}; shift 2 || die_usage "--out: missing value" ;;
    --ca) ca=${2-}; shift 2 || die_usage "--ca: missing value" ;;
    --cert) cert=${2-}; shift 2 || die_usage "--cert: missing value" ;;
    --key) key=${2-}; shift 2 || die_usage "--key: missing value" ;;
    --crl) crl=${2-}; shift 2 || die_usage "--crl: missing value" ;;
    --port) port=${2-}; shift 2 || die_usage "--port: missing value" ;;
    --bind) bind=${2-}; shift 2 || die_usage "--bind: missing value" ;;
    --data) data=${2-}; shift 2 || die_usage "--data: missing value" ;;
    --user) user=${2-}; shift 2 || die_usage "--user: missing value" ;;
    --aggregator) aggregators+=("${2-}"); shift 2 || die_usage "--aggregator: missing value" ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

for opt in out ca cert key crl; do
  [[ -n ${!opt} ]] || die_usage "--$opt: required"
done
for opt in ca cert key crl; do
  [[ -f ${!opt} ]] || die "--$opt: no such file '${!opt}'"
done
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
  die "--port: '$port' is not a port 1..65535"
fi
[[ -z $bind || $bind =~ ^[0-9A-Za-z.:-]+$ ]] || die "--bind: '$bind' is not an address"
[[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "--user: '$user' is not a user name"
((${#aggregators[@]})) || aggregators=(gfi-aggregator)
# Same rule as gateway ids (pki.sh): it lands in the ACL file verbatim.
for aggregator in "${aggregators[@]}"; do
  [[ $aggregator =~ ^[A-Za-z0-9._-]{1,31}$ ]] || die "--aggregator: '$aggregator' is not a valid id"
done
aggregator=${aggregators[0]}

out=$(abspath "$out"); ca=$(abspath "$ca"); cert=$(abspath "$cert")
key=$(abspath "$key"); crl=$(abspath "$crl")
[[ -n $data ]] || data="$out/data"
data=$(abspath "${data%/}")
# Mosquitto's config format has no quoting: a path with white space would be
# cut at the first blank and the broker would open some other file.
for opt in out ca cert key crl data; do
  [[ ${!opt} != *[[:space:]]* ]] || die "--$opt: '${!opt}' contains white space, which mosquitto.conf cannot express"
done

mkdir -p "$out" "$data"
# Mosquitto writes its database as the unprivileged user it drops to.
if [[ $EUID == 0 && $user != root ]] && id "$user" >/dev/null 2>&1; then
  chown "$user:" "$data"
fi

# Literal substitution, line by line: quoting the replacement keeps bash 5.2
# from treating '&' in a path as "the matched text".
render() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line//@PORT@/"$port"}
    line=${line//@BIND@/"$bind"}
    line=${line//@CA@/"$ca"}
    line=${line//@CERT@/"$cert"}
    line=${line//@KEY@/"$key"}
    line=${line//@CRL@/"$crl"}
    line=${line//@ACL@/"$out/acl"}
    line=${line//@DATA@/"$data"}
    line=${line//@USER@/"$user"}
    line=${line//@AGGREGATOR@/"$aggregator"}
    # An empty @BIND@ leaves a trailing blank; strip it for a tidy file.
    printf '%s\n' "${line%"${line##*[![:space:]]}"}"
  done <"$1"
}

# The ACL: everything before the aggregator's "user @AGGREGATOR@" block once,
# then that block (to the end of the template) once per aggregator CN.
render_acl() {
  local line in_block=0 head=() block=()
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == "user @AGGREGATOR@" ]] && in_block=1
    if ((in_block)); then block+=("$line"); else head+=("$line"); fi
  done <"$1"
  printf '%s\n' "${head[@]}" | render /dev/stdin
  for aggregator in "${aggregators[@]}"; do
    printf '%s\n' "${block[@]}" | render /dev/stdin
  done
}

render "$HERE/mosquitto.conf.in" >"$out/mosquitto.conf.tmp"
render_acl "$HERE/acl.in" >"$out/acl.tmp"
if grep -n '@[A-Z]*@' "$out/mosquitto.conf.tmp" "$out/acl.tmp" >&2; then
  rm -f "$out/mosquitto.conf.tmp" "$out/acl.tmp"
  die "template: placeholders left unrendered (above)"
fi
chmod 644 "$out/mosquitto.conf.tmp" "$out/acl.tmp"
mv -f "$out/mosquitto.conf.tmp" "$out/mosquitto.conf"
mv -f "$out/acl.tmp" "$out/acl"
echo "$PROG: wrote $out/mosquitto.conf and $out/acl (port $port${bind:+, bind $bind}, user $user)"
