# Step-response metrics shared by the firmware runs (CPython) and the peer
# harness (MicroPython). Pure Python, no imports.
#
# samples: list of (t_s, pv_pa) with t_s measured from the start command.
BAND = 0.02


def settle_time(samples, sp, band=BAND):
    """Time after which pv enters and stays within +-band*sp until the end of
    the samples; None if it never settles."""
    tol = band * sp
    last_out = None
    for i, (t, v) in enumerate(samples):
        if abs(v - sp) > tol:
            last_out = i
    if last_out is None:
        return samples[0][0] if samples else None
    if last_out + 1 >= len(samples):
        return None
    return samples[last_out + 1][0]


def overshoot_pct(samples, sp):
    peak = max(v for _, v in samples)
    return max(0.0, (peak - sp) * 100.0 / sp)


def rms_err(samples, sp, t_from, t_to=1e30):
    n = 0
    s = 0.0
    for t, v in samples:
        if t_from <= t <= t_to:
            s += (v - sp) ** 2
            n += 1
    return (s / n) ** 0.5 if n else None


def square_ref(t, on_s, off_s, sp):
    ph = t % (on_s + off_s)
    return sp if ph < on_s else 0.0


def square_rms(samples, on_s, off_s, sp, t_end):
    n = 0
    s = 0.0
    for t, v in samples:
        if 0.0 <= t < t_end:
            s += (v - square_ref(t, on_s, off_s, sp)) ** 2
            n += 1
    return (s / n) ** 0.5 if n else None
