#!/usr/bin/env bash
# pki.sh — the city's certificate authority for gfi, with the openssl CLI only.
#
# Why: every gateway connects to the city broker over mutual TLS and the broker
# takes the certificate's CN as the MQTT user name (DESIGN.md, "Identity" and
# "Topics"); the ACL then lets a gateway publish only under its own id. So the
# CA is the one place that decides which id a key may speak for, and this script
# is the one place that enforces the id rules before anything is signed.
#
# Invariants:
#  - Every certificate is issued through `openssl ca`, so it is in index.txt and
#    can be revoked; crl.pem is regenerated after every revocation.
#  - A gateway's key never leaves the gateway: `sign` takes a CSR. The issued
#    subject is exactly CN=<id>; nothing else from the CSR is copied (no
#    extensions either: a CSR asking for CA:TRUE gets an ordinary leaf).
#  - Client certificates carry EKU clientAuth only, the broker's serverAuth only,
#    so neither can stand in for the other (OpenSSL checks the purpose).
#  - Names given to `client` (e.g. gfi-aggregator) are reserved: `sign` refuses a
#    gateway CSR that claims one, or a gateway could read every gateway's batches.
#  - Private keys are created 0600 (umask 077); certificates and the CRL 0644.
#
# Layout of --dir D (created by init-ca):
#   ca.crt  private/ca.key  openssl.cnf  index.txt serial crlnumber crl.pem
#   certs/<SERIAL>.pem (every issued cert)  reserved-names
#   server/<HOST>.{key,crt}  clients/<CN>.{key,csr,crt}
set -euo pipefail
umask 077
# Byte-wise character classes: in a UTF-8 locale [A-Za-z] may match more than ASCII.
export LC_ALL=C

PROG=${0##*/}
DEFAULT_CA_DAYS=3650
DEFAULT_CERT_DAYS=825
# The broker refuses every client once the CRL's nextUpdate has passed
# (OpenSSL: "CRL has expired"), so the CRL must be re-issued well before that;
# 30 days leaves room for a monthly timer that runs `pki.sh crl` (docs/operations.md).
DEFAULT_CRL_DAYS=30

usage() {
  cat <<EOF
usage: $PROG COMMAND --dir DIR [options]
  init-ca --dir D [--days N] [--ca-name TEXT]   create the CA (idempotent)
  server  --dir D --name HOST [--ip IP]... [--days N]
                                                broker key + cert (SAN DNS:HOST, IP:...)
  sign    --dir D --csr FILE --out FILE [--days N]
                                                sign a gateway CSR (CN = gateway id)
  client  --dir D --cn NAME [--days N]          key + CSR + cert for a city client
                                                (e.g. gfi-aggregator); NAME becomes reserved
  revoke  --dir D (--cert FILE | --serial HEX) [--reason R]
                                                revoke, then regenerate crl.pem
  crl     --dir D [--days N]                    regenerate crl.pem (next update in N days)
  list    --dir D                               issued certificates: status serial expiry subject
Ids (gateway ids, client names): letters, digits, '.', '_', '-'; 1..31 characters.
After revoke/crl: SIGHUP the broker (new connections see the new CRL), or
restart it to also cut a revoked gateway that is connected now.
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
die_usage() { printf '%s: %s\n' "$PROG" "$*" >&2; printf "run '%s --help' for usage\n" "$PROG" >&2; exit 2; }

# --- validation --------------------------------------------------------------

# Gateway ids become MQTT user names and topic levels (DESIGN.md "Identity"):
# never '/', '+', '#', spaces or anything else an ACL pattern could misread.
valid_id() { [[ $1 =~ ^[A-Za-z0-9._-]{1,31}$ ]]; }

valid_days() { [[ $1 =~ ^[1-9][0-9]{0,4}$ ]]; }   # 1..99999

# A DNS host name: labels of letters, digits and '-', separated by dots.
valid_host() {
  [[ ${#1} -le 253 && $1 =~ ^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$ ]]
}

valid_ipv4() {
  local IFS=. o
  [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
  for o in $1; do (( 10#$o <= 255 )) || return 1; done
}

# Loose IPv6 check (hex groups and colons, at most one '::'); openssl rejects
# anything still malformed and we report its error.
valid_ipv6() { [[ $1 =~ ^[0-9A-Fa-f:]{2,39}$ && $1 == *:* ]]; }

abspath() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }

# --- CA database ----------------------------------------------------------------

# All openssl calls get the CA directory through the environment, so the config
# file holds no absolute path and the directory can be moved or backed up whole.
ca_env() {
  DIR=$(abspath "$DIR")
  export GFI_PKI_DIR="$DIR"
  CNF="$DIR/openssl.cnf"
}

require_ca() {
  [[ -f $DIR/ca.crt && -f $DIR/private/ca.key && -f $CNF && -f $DIR/index.txt ]] \
    || die "--dir: $DIR is not a gfi CA (run '$PROG init-ca --dir $DIR' first)"
}

# openssl ca rewrites index.txt and serial by renaming files: two runs at once
# would lose an entry. One lock per CA directory serialises them.
lock_ca() {
  exec 9>"$DIR/.lock"
  flock -w 30 9 || die "--dir: $DIR is locked by another $PROG run"
}

# Run openssl, keep its chatter out of the way, and show it only on failure.
ossl() {
  local out
  if ! out=$(openssl "$@" 2>&1); then
    printf '%s\n' "$out" | sed 's/^/  openssl: /' >&2
    return 1
  fi
}

write_cnf() {
  cat >"$CNF" <<'EOF'
# openssl configuration of the gfi city CA, written by deploy/pki.sh.
# dir comes from the environment (pki.sh sets GFI_PKI_DIR) so nothing here is absolute.
[ ca ]
default_ca = gfi_ca

[ gfi_ca ]
dir              = $ENV::GFI_PKI_DIR
database         = $dir/index.txt
new_certs_dir    = $dir/certs
certificate      = $dir/ca.crt
private_key      = $dir/private/ca.key
serial           = $dir/serial
crlnumber        = $dir/crlnumber
crl              = $dir/crl.pem
default_md       = sha256
default_days     = 825
default_crl_days = 30
# The subject of every issued cert is CN only: the broker maps CN to user name.
policy           = policy_cn_only
# A renewed gateway (new key, same id) gets a cert with the same subject while
# the old one is still valid, so subjects need not be unique.
unique_subject   = no
# Never copy extensions from a CSR: the CA alone decides CA:FALSE and the EKU.
copy_extensions  = none
email_in_dn      = no
preserve         = no
crl_extensions   = crl_ext

[ policy_cn_only ]
commonName = supplied

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ ext_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer
EOF
}

# --- commands -------------------------------------------------------------------

cmd_init_ca() {
  local days=$DEFAULT_CA_DAYS ca_name="gfi city CA"
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      --days) days=${2-}; shift 2 || die_usage "--days: missing value" ;;
      --ca-name) ca_name=${2-}; shift 2 || die_usage "--ca-name: missing value" ;;
      *) die_usage "init-ca: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  valid_days "$days" || die "--days: '$days' is not a whole number of days 1..99999"
  [[ -n $ca_name && ${#ca_name} -le 64 && $ca_name != */* ]] \
    || die "--ca-name: '$ca_name' must be 1..64 characters without '/'"
  mkdir -p "$DIR"
  ca_env
  mkdir -p "$DIR/private" "$DIR/certs" "$DIR/server" "$DIR/clients"
  chmod 700 "$DIR/private"
  lock_ca

  # Idempotent: an existing CA is never overwritten (that would orphan every
  # certificate in the field). Missing database files are filled in.
  [[ -f $CNF ]] || write_cnf
  [[ -f $DIR/index.txt ]] || : >"$DIR/index.txt"
  [[ -f $DIR/index.txt.attr ]] || printf 'unique_subject = no\n' >"$DIR/index.txt.attr"
  # Random starting serial: serials from two CAs (or a rebuilt CA) never collide.
  [[ -f $DIR/serial ]] || openssl rand -hex 16 | tr a-f A-F | sed 's/^[89A-F]/1/' >"$DIR/serial"
  [[ -f $DIR/crlnumber ]] || printf '01\n' >"$DIR/crlnumber"
  [[ -f $DIR/reserved-names ]] || printf 'gfi-aggregator\n' >"$DIR/reserved-names"

  if [[ -f $DIR/private/ca.key && -f $DIR/ca.crt ]]; then
    echo "$PROG: CA exists in $DIR (kept)"
  elif [[ -f $DIR/private/ca.key || -f $DIR/ca.crt ]]; then
    die "--dir: $DIR has only one of ca.crt and private/ca.key; refusing to guess"
  else
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -pkeyopt ec_param_enc:named_curve -out "$DIR/private/ca.key" \
      || die "init-ca: CA key generation failed"
    chmod 600 "$DIR/private/ca.key"
    ossl req -new -x509 -config "$CNF" -key "$DIR/private/ca.key" -sha256 \
      -days "$days" -subj "/CN=$ca_name" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -addext "subjectKeyIdentifier=hash" \
      -out "$DIR/ca.crt" || die "init-ca: CA certificate failed"
    chmod 644 "$DIR/ca.crt"
    echo "$PROG: CA created in $DIR ($days days)"
  fi
  [[ -f $DIR/crl.pem ]] || gen_crl "$DEFAULT_CRL_DAYS"
}

gen_crl() {
  ossl ca -config "$CNF" -gencrl -crldays "$1" -out "$DIR/crl.pem.new" \
    || die "crl: CRL generation failed"
  chmod 644 "$DIR/crl.pem.new"
  # Rename so a broker (re)starting meanwhile never reads half a file.
  mv -f "$DIR/crl.pem.new" "$DIR/crl.pem"
  echo "$PROG: CRL written to $DIR/crl.pem (next update in $1 days)"
}

# Issue a cert from a CSR through `openssl ca`. $1 csr, $2 out, $3 days,
# $4 subject CN, $5 extension file or empty, $6 extension section.
issue() {
  local csr=$1 out=$2 days=$3 cn=$4 extfile=$5 section=$6 tmp
  tmp="$out.tmp.$$"
  local args=(ca -config "$CNF" -batch -notext -in "$csr" -out "$tmp" -days "$days"
    -subj "/CN=$cn" -extensions "$section")
  [[ -n $extfile ]] && args+=(-extfile "$extfile")
  if ! ossl "${args[@]}"; then
    rm -f "$tmp"
    return 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$out"
}

new_key() {   # $1 file: EC P-256, the one key type gfi uses everywhere
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -pkeyopt ec_param_enc:named_curve -out "$1"
  chmod 600 "$1"
}

cmd_server() {
  local name="" days=$DEFAULT_CERT_DAYS ips=() ip san
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      --name) name=${2-}; shift 2 || die_usage "--name: missing value" ;;
      --ip) ips+=("${2-}"); shift 2 || die_usage "--ip: missing value" ;;
      --days) days=${2-}; shift 2 || die_usage "--days: missing value" ;;
      *) die_usage "server: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  [[ -n $name ]] || die_usage "--name: required (the host name clients connect to)"
  valid_host "$name" || die "--name: '$name' is not a DNS host name"
  valid_days "$days" || die "--days: '$days' is not a whole number of days 1..99999"
  san="DNS:$name"
  for ip in ${ips[@]+"${ips[@]}"}; do
    valid_ipv4 "$ip" || valid_ipv6 "$ip" || die "--ip: '$ip' is not an IPv4 or IPv6 address"
    san+=",IP:$ip"
  done
  ca_env; require_ca; lock_ca

  local key="$DIR/server/$name.key" crt="$DIR/server/$name.crt" csr="$DIR/server/$name.csr"
  if [[ -f $crt && -f $key ]]; then
    echo "$PROG: server cert exists: $crt (kept; revoke it and remove both files to reissue)"
    return 0
  fi
  [[ -f $key ]] || new_key "$key" || die "server: key generation failed"
  ossl req -new -key "$key" -subj "/CN=$name" -out "$csr" || die "server: CSR failed"
  local ext="$DIR/server/$name.ext"
  # The SAN is what clients check (Paho and mosquitto_* verify the host name
  # against it, never against the CN), so it must list every name and address.
  cat >"$ext" <<EOF
[ ext_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName         = $san
EOF
  issue "$csr" "$crt" "$days" "$name" "$ext" ext_server || die "server: signing failed"
  echo "$PROG: server cert $crt (subjectAltName $san)"
}

# Print the CN of a CSR, or fail if there is not exactly one.
csr_cn() {
  local lines n
  lines=$(openssl req -in "$1" -noout -subject -nameopt multiline,-esc_msb,utf8 2>/dev/null) || return 1
  n=$(grep -c '^ *commonName *=' <<<"$lines" || true)
  [[ $n == 1 ]] || return 1
  sed -n 's/^ *commonName *= //p' <<<"$lines"
}

is_reserved() { grep -qxF -- "$1" "$DIR/reserved-names" 2>/dev/null; }

# Shared by `sign` and `client`: verify a CSR and issue a clientAuth cert.
sign_csr() {
  local csr=$1 out=$2 days=$3 allow_reserved=$4 cn keytext
  [[ -r $csr ]] || die "--csr: cannot read '$csr'"
  # The CSR's self-signature proves the requester holds the private key.
  ossl req -in "$csr" -noout -verify || die "--csr: '$csr' is not a CSR with a valid signature"
  cn=$(csr_cn "$csr") || die "--csr: '$csr' must have exactly one CN (the gateway id)"
  valid_id "$cn" || die "--csr: CN '$cn' is not a valid id (letters, digits, '.', '_', '-'; 1..31 chars)"
  if [[ $allow_reserved != yes ]] && is_reserved "$cn"; then
    die "--csr: CN '$cn' is reserved for a city client; a gateway may not claim it"
  fi
  # Batches are ECDSA P-256 (DESIGN.md "Batch"), verified with this key: insist on it.
  keytext=$(openssl req -in "$csr" -noout -text 2>/dev/null)
  grep -q 'NIST CURVE: P-256\|ASN1 OID: prime256v1' <<<"$keytext" \
    || die "--csr: '$csr' key is not EC P-256"
  issue "$csr" "$out" "$days" "$cn" "" ext_client || die "sign: openssl ca failed for CN '$cn'"
  echo "$PROG: issued $out for '$cn' ($days days, serial $(openssl x509 -in "$out" -noout -serial | cut -d= -f2))"
}

cmd_sign() {
  local csr="" out="" days=$DEFAULT_CERT_DAYS
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      --csr) csr=${2-}; shift 2 || die_usage "--csr: missing value" ;;
      --out) out=${2-}; shift 2 || die_usage "--out: missing value" ;;
      --days) days=${2-}; shift 2 || die_usage "--days: missing value" ;;
      *) die_usage "sign: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  [[ -n $csr ]] || die_usage "--csr: required"
  [[ -n $out ]] || die_usage "--out: required"
  valid_days "$days" || die "--days: '$days' is not a whole number of days 1..99999"
  csr=$(abspath "$csr"); out=$(abspath "$out")
  [[ -d $(dirname "$out") ]] || die "--out: directory of '$out' does not exist"
  ca_env; require_ca; lock_ca
  # Idempotent: signing the same CSR again would issue a second certificate for
  # the same key. An existing --out for the same key is kept; any other is left
  # alone rather than silently replaced.
  if [[ -e $out ]]; then
    local want have
    want=$(openssl req -in "$csr" -noout -pubkey 2>/dev/null | openssl sha256) || true
    have=$(openssl x509 -in "$out" -noout -pubkey 2>/dev/null | openssl sha256) || true
    if [[ -n $want && $want == "$have" ]]; then
      echo "$PROG: $out already holds a certificate for this CSR's key (kept)"
      return 0
    fi
    die "--out: '$out' exists and is not a certificate for this CSR's key; remove it first"
  fi
  sign_csr "$csr" "$out" "$days" no
}

cmd_client() {
  local cn="" days=$DEFAULT_CERT_DAYS
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      --cn) cn=${2-}; shift 2 || die_usage "--cn: missing value" ;;
      --days) days=${2-}; shift 2 || die_usage "--days: missing value" ;;
      *) die_usage "client: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  [[ -n $cn ]] || die_usage "--cn: required"
  valid_id "$cn" || die "--cn: '$cn' is not a valid id (letters, digits, '.', '_', '-'; 1..31 chars)"
  valid_days "$days" || die "--days: '$days' is not a whole number of days 1..99999"
  ca_env; require_ca; lock_ca
  # Reserve first: from now on no gateway CSR may claim this name.
  is_reserved "$cn" || printf '%s\n' "$cn" >>"$DIR/reserved-names"
  local key="$DIR/clients/$cn.key" csr="$DIR/clients/$cn.csr" crt="$DIR/clients/$cn.crt"
  if [[ -f $crt && -f $key ]]; then
    echo "$PROG: client cert exists: $crt (kept)"
    return 0
  fi
  [[ -f $key ]] || new_key "$key" || die "client: key generation failed"
  ossl req -new -key "$key" -subj "/CN=$cn" -out "$csr" || die "client: CSR failed"
  sign_csr "$csr" "$crt" "$days" yes
}

cmd_revoke() {
  local cert="" serial="" reason=unspecified
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      --cert) cert=${2-}; shift 2 || die_usage "--cert: missing value" ;;
      --serial) serial=${2-}; shift 2 || die_usage "--serial: missing value" ;;
      --reason) reason=${2-}; shift 2 || die_usage "--reason: missing value" ;;
      *) die_usage "revoke: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  [[ -n $cert || -n $serial ]] || die_usage "--cert or --serial: one is required"
  [[ -z $cert || -z $serial ]] || die_usage "--cert and --serial: give only one"
  case $reason in
    unspecified|keyCompromise|CACompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold) ;;
    *) die "--reason: '$reason' is not an RFC 5280 reason (e.g. keyCompromise, superseded, cessationOfOperation)" ;;
  esac
  [[ -z $cert ]] || cert=$(abspath "$cert")
  ca_env; require_ca; lock_ca
  if [[ -n $serial ]]; then
    serial=${serial^^}
    [[ $serial =~ ^[0-9A-F]{1,64}$ ]] || die "--serial: '$serial' is not a hex serial"
    cert="$DIR/certs/$serial.pem"
    [[ -f $cert ]] || die "--serial: $serial was not issued by this CA (no $cert)"
  fi
  [[ -r $cert ]] || die "--cert: cannot read '$cert'"
  openssl x509 -in "$cert" -noout >/dev/null 2>&1 || die "--cert: '$cert' is not a PEM certificate"
  # Only our own certs: revoking a serial the CA never issued would be a no-op
  # that looks like success.
  openssl verify -no_check_time -CAfile "$DIR/ca.crt" "$cert" >/dev/null 2>&1 \
    || die "--cert: '$cert' was not issued by the CA in $DIR"
  serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
  local status
  status=$(awk -F'\t' -v s="$serial" '$4 == s { print $1 }' "$DIR/index.txt")
  case $status in
    R) echo "$PROG: serial $serial already revoked" ;;
    V|E) ossl ca -config "$CNF" -revoke "$cert" -crl_reason "$reason" \
           || die "revoke: openssl ca -revoke failed for serial $serial"
         echo "$PROG: revoked serial $serial ($(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253))" ;;
    *) die "--cert: serial $serial is not in $DIR/index.txt" ;;
  esac
  gen_crl "$DEFAULT_CRL_DAYS"
  echo "$PROG: now restart the broker (SIGHUP alone keeps an open connection of a revoked cert)"
}

cmd_crl() {
  local days=$DEFAULT_CRL_DAYS
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      --days) days=${2-}; shift 2 || die_usage "--days: missing value" ;;
      *) die_usage "crl: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  valid_days "$days" || die "--days: '$days' is not a whole number of days 1..99999"
  ca_env; require_ca; lock_ca
  gen_crl "$days"
}

cmd_list() {
  while (($#)); do
    case $1 in
      --dir) DIR=${2-}; shift 2 || die_usage "--dir: missing value" ;;
      *) die_usage "list: unknown argument '$1'" ;;
    esac
  done
  [[ -n ${DIR-} ]] || die_usage "--dir: required"
  ca_env; require_ca
  # index.txt: status, expiry (YYMMDDHHMMSSZ), revocation date, serial, file, subject
  awk -F'\t' '{ printf "%s %s 20%s %s\n", $1, $4, substr($2, 1, 6), $6 }' "$DIR/index.txt"
}

main() {
  command -v openssl >/dev/null || die "openssl: not found on PATH"
  command -v flock >/dev/null || die "flock: not found on PATH (util-linux)"
  (($#)) || { usage >&2; exit 2; }
  local cmd=$1; shift
  DIR=""
  case $cmd in
    init-ca) cmd_init_ca "$@" ;;
    server) cmd_server "$@" ;;
    sign) cmd_sign "$@" ;;
    client) cmd_client "$@" ;;
    revoke) cmd_revoke "$@" ;;
    crl) cmd_crl "$@" ;;
    list) cmd_list "$@" ;;
    -h|--help|help) usage ;;
    *) die_usage "unknown command '$cmd'" ;;
  esac
}

main "$@"
