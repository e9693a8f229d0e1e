"""A Modbus TCP server (pymodbus 3.0, Debian's python3-pymodbus) holding an SMA register map.

    python3 modbus-server.py --port PORT --map registers.json [--close-after N]

registers.json: {"units": {"<unit id>": {"<first address>": [word, ...], ...}, ...}}; each unit's
words are both its holding and its input registers, at exactly these addresses (zero_mode), so a
read that touches an address outside the map is answered with exception 2 (illegal data
address), as pymodbus' sparse blocks do. --close-after N: every connection is closed by the
server when its N-th request arrives, unanswered (a device that drops the connection).
Prints "listening <port>" once it accepts connections; SIGTERM stops it.
"""
import argparse
import asyncio
import json
import logging
import signal
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server.async_io import ModbusConnectedRequestHandler, ModbusTcpServer


def slave(blocks):
    values = {}
    for first, words in blocks.items():
        for offset, word in enumerate(words):
            values[int(first) + offset] = int(word)
    # Separate blocks: a context's blocks are written through, so holding and input must not share one.
    return ModbusSlaveContext(
        hr=ModbusSparseDataBlock(dict(values)),
        ir=ModbusSparseDataBlock(dict(values)),
        zero_mode=True,
    )


def closing_handler(close_after):
    class ClosingHandler(ModbusConnectedRequestHandler):
        requests = 0

        def data_received(self, data):
            self.requests += 1
            if self.requests >= close_after:
                self.transport.close()
                return
            super().data_received(data)

    return ClosingHandler


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--map", required=True)
    parser.add_argument("--close-after", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    with open(args.map, encoding="utf8") as file:
        units = json.load(file)["units"]
    context = ModbusServerContext(slaves={int(unit): slave(blocks) for unit, blocks in units.items()}, single=False)
    handler = closing_handler(args.close_after) if args.close_after > 0 else None
    server = ModbusTcpServer(context, address=("127.0.0.1", args.port), handler=handler, allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.serving
    print(f"listening {args.port}", flush=True)
    await stop.wait()
    await server.shutdown()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
