"""Amaranth testbench helpers for a UART line (8N1, least significant bit first): the host's
side of a board link at bit level."""

__all__ = ["send_bytes", "receive_bytes", "bit_edges"]


def bit_edges(period, rate=1.0):
    """The cycle at which each of a byte's ten bits starts and the cycle after its stop
    bit, for a sender whose bits last ``period / rate`` cycles (``rate`` 1.03: 3 % fast)."""
    return [round(k * period / rate) for k in range(11)]


async def send_bytes(ctx, line, data, period, rate=1.0, stop_bit=1):
    """Drives ``line`` with ``data`` back to back, bits ``period / rate`` cycles long, then
    leaves it high. ``stop_bit=0`` sends every byte with a bad stop bit."""
    edges = bit_edges(period, rate)
    for byte in data:
        bits = [0] + [(byte >> k) & 1 for k in range(8)] + [stop_bit]
        for bit, (start, end) in zip(bits, zip(edges, edges[1:])):
            ctx.set(line, bit)
            await ctx.tick().repeat(end - start)
    ctx.set(line, 1)


async def receive_bytes(ctx, line, period, count, timeout):
    """The first ``count`` bytes seen on ``line`` (sampled in each bit's middle) within
    ``timeout`` cycles; fewer if it runs out."""
    received, waited = bytearray(), 0
    while len(received) < count and waited < timeout:
        if ctx.get(line):
            await ctx.tick()
            waited += 1
            continue
        await ctx.tick().repeat(period // 2)
        byte = 0
        for k in range(8):
            await ctx.tick().repeat(period)
            byte |= ctx.get(line) << k
        await ctx.tick().repeat(period)             # the middle of the stop bit
        received.append(byte)
        waited += 10 * period
    return bytes(received)
