#!/bin/sh
# Records pollect 1.2's /metrics for a golden case's register map: the pymodbus server of
# ../modbus-server.py serves ../<case>/registers.json, pollect 1.2 (checkout in $POLLECT_12,
# default /tmp/pollect-py12) probes it every second with its Prometheus writer, and the page
# after 3 s is written to <case>.metrics.txt.   Usage: sh record.sh full-map
set -eu
case="$1"
here=$(cd "$(dirname "$0")" && pwd)
checkout="${POLLECT_12:-/tmp/pollect-py12}"
free_port() { /usr/bin/python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
modbus=$(free_port)
web=$(free_port)
config=$(mktemp --suffix=.json)
sed -e "s/MODBUS_PORT/$modbus/" -e "s/WEB_PORT/$web/" "$here/pollect-1.2.json" > "$config"
/usr/bin/python3 "$here/../modbus-server.py" --port "$modbus" --map "$here/../$case/registers.json" > /dev/null 2>&1 &
server=$!
pollect=
trap 'kill $server $pollect 2>/dev/null; rm -f "$config"' EXIT
sleep 1.5
/usr/bin/python3 "$here/run-pollect-1.2.py" "$checkout" --config "$config" > /dev/null 2>&1 &
pollect=$!
sleep 3
curl -sf "http://127.0.0.1:$web/metrics" | grep SmaPvModbus > "$here/$case.metrics.txt"
