#!/bin/sh
# The pushes of README.md, against pollect 1.2 running pollect.json.
post() { curl -s -X POST "http://127.0.0.1:$1/" -H 'Content-Type: application/json' -d "$2"; echo; }
post 19424 '{"metrics":{"sample_metric":{"value":124,"labels":{"host":"a"}}}}'
post 19424 '{"metrics":{"sample_metric":{"value":1,"labels":{"host":"b"}}}}'
post 19425 '{"metrics":{"temp":{"value":21.5,"labels":{"room":"kitchen"}},"door":{"value":1}}}'
post 19424 '{"metrics":{"nope":{"value":1}}}'
curl -s http://127.0.0.1:19424/; echo
