# Unit tests of the alarm model (runs in MicroPython).
import alarms


def _state():
    return alarms.AlarmState(alarms.AlarmLog(4))


def test_raise_end_and_events():
    st = _state()
    ev = st.update(alarms.A_LEAK | alarms.A_OVERVAC, 100, 31000)
    assert ev[0].startswith("alarm raise overvacuum priority=high latching=1 t_ms=100"), ev
    assert ev[1].startswith("alarm raise leak priority=medium"), ev
    assert st.update(alarms.A_LEAK | alarms.A_OVERVAC, 105, 0) == []
    ev = st.update(alarms.A_LEAK, 110, 0)
    assert ev == ["alarm end overvacuum t_ms=110"], ev


def test_ack_stops_sound_until_a_new_alarm():
    st = _state()
    st.update(alarms.A_LEAK, 0, 0)
    assert st.audible_priority(0) == alarms.MEDIUM
    bits, ev = st.ack(10)
    assert bits == alarms.A_LEAK and ev == ["alarm ack leak t_ms=10"]
    assert st.audible_priority(20) == 0 and st.visual_priority() == alarms.MEDIUM
    st.update(alarms.A_LEAK | alarms.A_VENT, 30, 0)
    assert st.audible_priority(30) == alarms.HIGH


def test_silence_is_time_limited_and_ended_by_a_new_alarm():
    st = _state()
    st.update(alarms.A_LEAK, 0, 0)
    st.silence(1000, 0)
    assert st.audible_priority(999) == 0 and st.silence_left(500) == 500
    assert st.audible_priority(1000) == alarms.MEDIUM
    st.silence(1000, 2000)
    st.update(alarms.A_LEAK | alarms.A_PUMP, 2100, 0)
    assert st.audible_priority(2100) == alarms.MEDIUM and st.silence_left(2100) == 0


def test_clear_is_logged_and_log_is_a_bounded_ring():
    st = _state()
    st.update(alarms.A_VENT, 5, 0)
    st.ack(6)
    ev = st.cleared(alarms.A_VENT, 7)
    assert ev == ["alarm clear vent t_ms=7"]
    st.silence(1000, 8)
    st.update(alarms.A_OVERRUN, 9, 0)
    recs = st.log.records()
    assert len(recs) == 4 and st.log.total() == 5, recs
    assert recs[0] == (6, "ack", "vent", 0) and recs[1] == (7, "clear", "vent", 0), recs
    assert recs[2] == (8, "silence", "-", 1000) and recs[3][1:3] == ("raise", "overrun"), recs


def test_table_masks():
    assert not alarms.STOP_MASK & (alarms.A_OVERRUN | alarms.A_RESET)
    assert not alarms.LATCH_MASK & alarms.A_OVERRUN
    bits = [t[0] for t in alarms.TABLE]
    assert len(set(bits)) == len(bits) and all(b & (b - 1) == 0 for b in bits)
    pr = [t[2] for t in alarms.TABLE]
    assert pr == sorted(pr, reverse=True)  # listed highest priority first
