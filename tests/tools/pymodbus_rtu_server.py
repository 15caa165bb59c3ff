#!/usr/bin/python3
"""An independent Modbus peer for test_rtu_tcp.py: Debian's pymodbus
serving RTU frames (CRC, no MBAP) on a TCP socket, as a transparent serial
server does, for the slaves and registers in a JSON file:

    /usr/bin/python3 pymodbus_rtu_server.py SPEC.json PORT

SPEC: {"slaves": {"1": {"holding": {"addr": word, ...}, "input": {...}}}}.
Runs until killed."""
import json
import sys

from pymodbus.datastore import (ModbusServerContext, ModbusSlaveContext,
                                ModbusSparseDataBlock)
from pymodbus.server import StartTcpServer
from pymodbus.transaction import ModbusRtuFramer


def block(regs):
    """The points' registers, and zeros between them (a read spanning a gap
    between two points is answered, as by the meters)."""
    words = {int(a): w for a, w in regs.items()} or {0: 0}
    full = {a: 0 for a in range(min(words), max(words) + 1)}
    full.update(words)
    return ModbusSparseDataBlock(full)


def main():
    spec = json.load(open(sys.argv[1]))
    slaves = {int(sid): ModbusSlaveContext(hr=block(r.get("holding", {})),
                                           ir=block(r.get("input", {})),
                                           zero_mode=True)
              for sid, r in spec["slaves"].items()}
    context = ModbusServerContext(slaves=slaves, single=False)
    StartTcpServer(context=context, framer=ModbusRtuFramer,
                   address=("127.0.0.1", int(sys.argv[2])), allow_reuse_address=True)


if __name__ == "__main__":
    main()
