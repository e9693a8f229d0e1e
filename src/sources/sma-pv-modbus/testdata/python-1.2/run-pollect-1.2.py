"""Runs pollect 1.2 (`pollect.py` of the checkout given as the first argument) on Debian's
pymodbus 3.0: 1.2 imports `pymodbus.pdu.register_message`, a module of later pymodbus releases
that is `pymodbus.register_read_message` in 3.0. This shim maps the one to the other, then
starts pollect with the remaining arguments. Nothing else of 1.2 is changed.

    /usr/bin/python3 run-pollect-1.2.py /tmp/pollect-py12 --config pollect-1.2.json
"""
import runpy
import sys

import pymodbus.register_read_message

sys.modules["pymodbus.pdu.register_message"] = pymodbus.register_read_message
checkout = sys.argv[1]
sys.path.insert(0, checkout)
sys.argv = [f"{checkout}/pollect.py", *sys.argv[2:]]
runpy.run_path(f"{checkout}/pollect.py", run_name="__main__")
