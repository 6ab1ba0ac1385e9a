# Timing of the firmware control path in MicroPython (run from repo root).
import sys, time, gc
sys.path.insert(0, ".venv/lib/python3.11/site-packages")
sys.path.insert(0, "firmware")
from pid import PID
from controller import Controller
N = 10000
def bench(fn, n=N):
    t0 = time.ticks_us()
    for i in range(n):
        fn(20000 + (i & 63))
    return time.ticks_diff(time.ticks_us(), t0) / n
pid = PID(5, 6000, 3000, 0)
sp = 20000
f_pid = lambda pv: pid.update(sp, pv)
ctl = Controller(5)
ctl.set_target(20000, 0, 19990)  # holding: the PI path (the approach path is cheaper)
f_ctl = ctl.update
# The control tick without the sensor's bus transfer: supervisor, session,
# controller, as app.Device.tick runs them.
import safety, session, programs
sup = safety.Supervisor(70000, 5)
ctl2 = Controller(5)
ses = session.Session(ctl2, sup)
ses.start(programs.find("continuous"), {"target": 20000, "ramp": 0, "duration": 3600000}, 19990)
def f_tick(pv):
    sup.check(0, pv, ctl2.setpoint_pa, True, ctl2.pump_u16, ctl2.vent_u16)
    ses.step(5, pv)
    ctl2.update(pv)
us_pid = bench(f_pid)
us_ctl = bench(f_ctl)
us_tick = bench(f_tick)
def heap(fn):
    gc.collect(); gc.disable()
    a = gc.mem_alloc()
    for i in range(1000):
        fn(20000 + (i & 63))
    b = gc.mem_alloc()
    gc.enable()
    return b - a
# empty loop overhead, same shape
us_nop = bench(lambda pv: None)
h_pid = heap(pid.update.__self__.update.__func__ and (lambda pv: pid.update(sp, pv)) if False else (lambda pv: pid.update(sp, pv)))
h_ctl = heap(ctl.update)
h_tick = heap(f_tick)
from simple_pid import PID as SPID
tt = [0.0]
sp_ = SPID(0.0007, 0.05, 3e-6, setpoint=20000.0, sample_time=None, output_limits=(-1.0, 1.0), time_fn=lambda: tt[0])
us_spid = bench(lambda pv: sp_(float(pv), dt=0.005))
h_spid = heap(lambda pv: sp_(float(pv), dt=0.005))
print("pid_us %.2f ctl_us %.2f tick_us %.2f nop_us %.2f spid_us %.2f heap_pid %d heap_ctl %d heap_tick %d heap_spid %d" % (us_pid, us_ctl, us_tick, us_nop, us_spid, h_pid, h_ctl, h_tick, h_spid))
# GC pause: the firmware's modules and objects live on the heap (as on the
# board after boot), plus background garbage (reply and event strings);
# gc.collect() timed on this interpreter, many times.
import commands, console, alarms, config, store, therapylog, autotune, units, frame, textbuf  # noqa: F401,E401
keep = [bytearray(64) for _ in range(300)]  # live objects: buffers, logs
junk = None
pauses = []
for i in range(200):
    junk = ["reply %d vacuum_pa=%d" % (i, j) for j in range(200)]  # background garbage
    junk = None
    t0 = time.ticks_us()
    gc.collect()
    pauses.append(time.ticks_diff(time.ticks_us(), t0))
gc.collect()
pauses.sort()
print("gc_max_us %d gc_median_us %d gc_heap_alloc %d" % (pauses[-1], pauses[len(pauses) // 2], gc.mem_alloc()))
