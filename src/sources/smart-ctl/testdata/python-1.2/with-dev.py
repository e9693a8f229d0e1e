# Runs pollect 1.2 (from its checkout, the current directory) with /dev listed as `sda` and
# `nvme0`: 1.2's SmartCtl picks its disks by matching `devices` against os.listdir("/dev").
import os
import runpy
import sys

_listdir = os.listdir
os.listdir = lambda path=".": ["sda", "nvme0"] if path == "/dev" else _listdir(path)
sys.argv = ["pollect.py", *sys.argv[1:]]
sys.path.insert(0, os.getcwd())
runpy.run_path("pollect.py", run_name="__main__")
