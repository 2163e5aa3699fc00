"""Run the simulator on its own: `python -m loopback.tibber --port 8910`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import SIMULATOR_TOKEN, TibberSimulator


async def _main(args: argparse.Namespace) -> None:
    sim = TibberSimulator(token=args.token, seed=args.seed)
    await sim.start(args.host, args.port)
    print(f"Tibber simulator: {sim.api_url}", flush=True)
    print(f"websocket:        {sim.ws_url}", flush=True)
    print(f"token:            {sim.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8910)
    parser.add_argument("--token", default=SIMULATOR_TOKEN)
    parser.add_argument("--seed", type=int, default=1)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
