"""Records what pollect 1.2's MqttWriter publishes for fixed value sets (run with Debian's
python3 and python3-paho-mqtt against a mosquitto on 127.0.0.1:$PORT, with 1.2 on PYTHONPATH):

    PORT=18999 PYTHONPATH=/tmp/pollect-py12 /usr/bin/python3 record.py          # topics.txt
    PORT=18999 HASS=1 PYTHONPATH=/tmp/pollect-py12 /usr/bin/python3 record.py   # discovery.txt

What arrived was recorded with `mosquitto_sub -v -t '#'` (Debian mosquitto-clients)."""
import os
import time

from pollect.core.ValueSet import Value, ValueSet
from pollect.sources.Source import Source
from pollect.writers.MqttWriter import MqttWriter


class Fixed(Source):
    """A source with the given sets; 1.2's Source.probe() names them and appends static labels."""

    def __init__(self, config, sets):
        super().__init__(config)
        self._sets = sets

    def _probe(self):
        return self._sets


def load_avg():
    data = ValueSet(labels=['time'])  # as 1.2's LoadAvgSource
    data.add(Value(0.5, label_values=['short']))
    data.add(Value(0.25, label_values=['mid']))
    data.add(Value(0.125, label_values=['long']))
    return data


def interface():
    data = ValueSet(labels=['interface'])
    data.add(Value(1234, label_values=['eth0'], name='total_bytes_sent'))
    return data


def http():
    data = ValueSet()
    data.add(Value(12.5))
    return data


sources = [
    (Fixed({'type': 'LoadAvg'}, [load_avg()]), 'pollect'),
    (Fixed({'type': 'Interface', 'name': 'Lan', 'labels': {'site': 'Berlin'}}, [interface()]), 'Home'),
    (Fixed({'type': 'Http', 'name': 'local'}, [http()]), 'pollect'),
]

writer = MqttWriter({'type': 'Mqtt', 'port': int(os.environ['PORT']), 'includePattern': ['pollect\\.loadavg/time/(short|mid)', 'home\\..+', 'pollect\\.http.*'],
                      'hassAutodiscovery': os.environ.get('HASS') == '1'})
writer.start()
time.sleep(1)
for source, collection in sources:
    sets = source.probe()
    for value_set in sets:  # Core._merge
        value_set.name = collection + '.' + value_set.name
    writer.write(sets, source)
time.sleep(1)
writer.stop()
