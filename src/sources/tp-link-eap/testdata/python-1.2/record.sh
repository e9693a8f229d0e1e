#!/bin/sh
# Records what pollect 1.2 serves on /metrics for ../eap225 (see README.md). Run from this folder.
set -e
D=$PWD
PATH=/work/main/node_modules/.bin:$PATH
bun serve.ts > /tmp/tp-link-eap-fake.url &
FAKE=$!
sleep 1
URL=$(cat /tmp/tp-link-eap-fake.url)
RUN=$(mktemp -d)
sed "s#@URL@#$URL#" pollect.json > "$RUN/pollect.json"
# In a fresh folder: 1.2 keeps its session cookie in ./tp_link_sid.tmp.
(cd "$RUN" && timeout 9 /usr/bin/python3 /tmp/pollect-py12/pollect.py --config "$RUN/pollect.json" > "$RUN/log.txt" 2>&1 || true) &
PY=$!
sleep 7
curl -s http://127.0.0.1:19519/metrics | grep -v "^python_\|^process_\|^# HELP python_\|^# TYPE python_\|^# HELP process_\|^# TYPE process_" > "$D/metrics.txt"
wait $PY
kill $FAKE
cp "$RUN/log.txt" "$D/log.txt"
