# What each program and each of its parameters is for. Read only by
# 'programs NAME' and by the error for a missing parameter, so this module is
# imported on demand and dropped again (commands._service): the texts need
# not occupy a device's RAM during therapy. A parameter without its own text
# here has that of the generic program the preset specialises, else the
# common one in _COMMON.
import programs
from cmderror import E_ARG, E_UNKNOWN, CmdError

_COMMON = {
    "ramp": "gentle start: intensity rises from zero to full over this time",
    "duration": "session length",
    "target": "vacuum to hold",
}

# name: (what it is for, {parameter: text})
TEXTS = {
    "continuous": ("hold a target: sliding massage, static cupping, NPWT continuous", {}),
    "intermittent": (
        "alternate target and floor: NPWT intermittent, interval vacuum therapy",
        {
            "target": "vacuum in the on phase",
            "floor": "vacuum in the off phase, below target (0 = vent to ambient)",
            "on": "length of the on phase",
            "off": "length of the off phase",
            "slew": "time for each change between floor and target (0 = as fast as safe)",
        },
    ),
    "dynamic": (
        "cycle smoothly between floor and target, never to zero: NPWT dynamic pressure",
        {
            "target": "top of the cycle",
            "floor": "bottom of the cycle, below target; never zero",
            "rise": "time from floor to target",
            "fall": "time from target to floor",
        },
    ),
    "dotted": (
        "build, hold, release fully, wait for the operator to move the cup, repeat",
        {
            "target": "vacuum of each dot",
            "hold": "time at the target per dot",
            "wait": "pause after each release (0 = until the operator sends 'next')",
        },
    ),
    "pulse": (
        "rhythmic suction and release; reports the swing the plant achieved",
        {
            "target": "depth of each pulse",
            "floor": "vacuum between pulses, below target (0 = vent to ambient)",
            "freq": "pulses per second (half suction, half release)",
        },
    ),
    "gradient": (
        "vacuum gradient: several cups at different levels, one per channel (multi-channel boards)",
        {
            "target": "level of channel 1 (distal), the highest",
            "step": "each next channel this much lower (proximal = lowest); every level >= 1 kPa",
        },
    ),
    "vacuum_laser": (
        "vacuum with rollers and a low-power laser: the laser only while skin contact is proven (laser applicator boards)",
        {
            "target": "vacuum the applicator holds while it slides",
            "contact": "contact threshold: below it the applicator is off the skin and the laser off; at least max(2 kPa, 20 %) below target",
            "prove": "the vacuum must stay above the contact threshold, steady, this long before the laser may emit",
            "speed": "roller speed, % of the motor's full speed",
            "power": "laser power, % of the source's maximum",
            "laser_time": "most laser emission in the session; then vacuum and rollers only",
        },
    ),
    "roller_laser": (
        "vacuum laser therapy of lipodystrophy: rollers, moderate vacuum and a low-power laser behind a contact interlock",
        {
            "target": "moderate vacuum: 0.1-0.5 atm",
        },
    ),
    "face_dotted": (
        "facial dotted vacuum massage (face limits: 0.5 atm, 15 min)",
        {
            "target": "vacuum of each dot: 0.1-0.5 atm by skin area",
            "hold": "time at the target per dot: 3-5 s",
            "wait": "pause after each release (0 = until 'next')",
        },
    ),
    "body_sliding": (
        "sliding body massage over oiled skin (cellulite): 10-15 min",
        {
            "target": "vacuum while the cup slides: up to 0.7 atm",
        },
    ),
    "cupping_back": (
        "static cupping on the back: a few minutes per site, limited suction and time",
        {
            "target": "static cup vacuum",
        },
    ),
    "decompression": (
        "decompression massage: rhythmic suction and release, intensity raised gradually",
        {
            "floor": "release fully between pulses",
            "freq": "pulses per second: 0.5-5 Hz",
        },
    ),
    "interval_legs": (
        "interval vacuum therapy of the legs in a chamber sealed at the waist: 20-40 min",
        {
            "target": "low-pressure phase: 20-70 mbar (FlowOx: 40 mmHg)",
            "floor": "normal pressure phase: ambient",
            "on": "low-pressure phase length (FlowOx: 10 s)",
            "off": "ambient phase length (FlowOx: 7 s)",
            "slew": "time for each change",
        },
    ),
    "npwt_continuous": (
        "negative-pressure wound therapy, continuous 125 mmHg",
        {
            "target": "wound vacuum: 25-200 mmHg",
        },
    ),
    "npwt_intermittent": (
        "negative-pressure wound therapy, intermittent 125 mmHg 5 min on / 2 min off",
        {
            "target": "wound vacuum in the on phase: 25-200 mmHg",
            "floor": "vacuum in the off phase (0 = ambient)",
            "on": "on phase: 5 min",
            "off": "off phase: 2 min",
            "slew": "time for each change",
        },
    ),
    "npwt_dynamic": (
        "negative-pressure wound therapy, dynamic between 25 mmHg and the target",
        {
            "target": "top of the cycle: 25-200 mmHg",
            "floor": "bottom of the cycle: 25 mmHg, never zero",
        },
    ),
}


def param_text(prog, name):
    t = TEXTS[prog.name][1].get(name)
    if t is None and prog.preset_of:
        t = TEXTS[prog.preset_of][1].get(name)
    return t if t is not None else _COMMON[name]



def _fmt_range(p, ceiling_pa):
    # The range 'start' accepts on this board: a pressure ends at the ceiling.
    u = programs.UNITS[p.kind]
    hi = ceiling_pa if p.kind == programs.PA and p.hi > ceiling_pa else p.hi
    return "%d%s..%d%s" % (p.lo, u, hi, u)


_KIND_WORD = ("pressure", "duration", "rate", "percentage")  # by programs.PA, MS, MHZ, PCT


def missing_param_error(prog, p):
    return CmdError(E_ARG, "%s needs %s=<%s> (%s)" % (prog.name, p.name, _KIND_WORD[p.kind], param_text(prog, p.name)))


def cmd_programs(dev, args):
    if not args:
        return programs.names()
    if len(args) != 1:
        raise CmdError(E_ARG, "usage: programs [name]")
    p = programs.find(args[0])
    if p is None:
        if args[0] in programs.LASER_NAMES:
            raise CmdError(E_UNKNOWN, "%s runs only on a board with a roller motor and a laser source; this board (%s) has neither" % (args[0], dev.board.NAME))
        raise CmdError(E_UNKNOWN, "no program '%s' (programs: %s)" % (args[0], programs.names()))
    ceiling = min(p.ceiling_pa, dev.sup.ceiling_pa)
    ps = " ".join("%s=%s[%s]" % (q.name, "!" if q.default is None else "%d%s" % (q.default, programs.UNITS[q.kind]), _fmt_range(q, ceiling)) for q in p.params)
    need = " channels=%d" % len(dev.channels) if p.kind == programs.GRADIENT else ""
    return "%s kind=%s preset_of=%s wound=%s ceiling_pa=%d%s %s help: %s" % (
        p.name, programs.KIND_NAMES[p.kind], p.preset_of or "none", "yes" if p.wound else "no", ceiling, need, ps, TEXTS[p.name][0])
