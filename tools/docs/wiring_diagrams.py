#!/usr/bin/env python3
"""Draw the wiring diagram of each board into docs/wiring/<board>.png.

    python tools/docs/wiring_diagrams.py        (make wiring)

Pin numbers and sensor come from the board definition (boards/<board>.py,
read as text), so the pictures follow the files. Each shows: 12 V supply and
3.3 V regulator, the MCU board, the I2C pressure sensor with its pull-ups,
the pump on a low-side logic-level N-MOSFET with a flyback diode and a gate
pull-down, the normally-open vent valve likewise, the mechanical relief
valve, and the optional buzzer.
"""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "wiring"
BOARDS = {"pico": "Raspberry Pi Pico (RP2040)", "pico2": "Raspberry Pi Pico 2 (RP2350)",
          "esp32_devkitc": "ESP32-DevKitC (ESP32-WROOM-32)"}
SENSOR_TEXT = {"xgzp6897d": "CFSensor XGZP6897D\n(gauge, I2C)", "mprls": "Honeywell MPRLS\n(absolute, I2C)",
               "bmp280": "Bosch BMP280\n(absolute, I2C)"}


def board_values(name: str) -> dict[str, str]:
    text = (ROOT / "boards" / (name + ".py")).read_text()
    vals = {}
    for m in re.finditer(r'^([A-Z_0-9]+)\s*=\s*(?:const\()?([^)\n#]+)\)?', text, re.M):
        raw = m.group(2).strip().strip('"')
        vals[m.group(1)] = raw if m.group(1) in ("SENSOR", "NAME", "MCU") else raw.replace("_", "")
    return vals


def box(ax, x, y, w, h, text, color="#e8eef7"):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02", fc=color, ec="black", lw=1.2))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8.5)


def wire(ax, pts, color="black", label=None, lpos=0):
    xs, ys = zip(*pts)
    ax.plot(xs, ys, color=color, lw=1.5)
    if label:
        (x0, y0), (x1, y1) = pts[lpos], pts[lpos + 1]
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.08, label, fontsize=7.5, ha="center", color=color)


def pwm_unit(v: dict[str, str], gpio: str) -> str:
    """Which PWM hardware drives the pin: an RP2040/RP2350 slice (GPIO 2n and
    2n+1 share its one frequency) or an ESP32 LEDC channel (one timer per
    frequency)."""
    if v.get("MCU", "").startswith("rp2"):
        n = int(gpio)
        return "slice %d%s" % ((n >> 1) & 7, "AB"[n & 1])
    return "LEDC"


def mosfet_stage(ax, x, load, gpio, freq, color, unit=""):
    """Load between +12 V and drain; flyback diode across the load; gate via
    100 ohm from the GPIO with a 100 k pull-down; source to ground."""
    box(ax, x, 5.2, 1.9, 0.9, load, "#fdf0d5")
    wire(ax, [(x + 0.95, 6.1), (x + 0.95, 6.8)], "red")  # +12 V to load
    ax.text(x + 1.0, 6.85, "+12 V", fontsize=7.5, color="red")
    # flyback diode (cathode to +12 V)
    wire(ax, [(x + 1.9, 6.45), (x + 2.3, 6.45), (x + 2.3, 4.85), (x + 0.95, 4.85)], "purple")
    ax.text(x + 2.35, 5.6, "flyback\ndiode\n1N5819\n(cathode\nto +12 V)", fontsize=6.5, color="purple", va="center")
    wire(ax, [(x + 0.95, 6.45), (x + 1.9, 6.45)], "red")
    wire(ax, [(x + 0.95, 5.2), (x + 0.95, 4.5)])
    box(ax, x + 0.35, 3.6, 1.2, 0.9, "N-MOSFET\nIRLZ44N / AO3400\n(logic level)", "#dfeedd")
    wire(ax, [(x + 0.95, 3.6), (x + 0.95, 3.1)])
    ax.text(x + 0.75, 2.9, "GND", fontsize=7.5)
    wire(ax, [(x + 0.35, 4.05), (x - 0.3, 4.05)], color)
    ax.text(x - 0.28, 4.15, "100 Ω", fontsize=6.5)
    wire(ax, [(x - 0.1, 4.05), (x - 0.1, 3.3)], "gray")
    ax.text(x - 0.05, 3.35, "100 kΩ\nto GND", fontsize=6.5, color="gray")
    return (x - 0.3, 4.05), "GPIO %s PWM %s Hz%s" % (gpio, freq, " (%s)" % unit if unit else "")


def draw(name: str) -> Path:
    v = board_values(name)
    fig, ax = plt.subplots(figsize=(12, 7.5))
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 8)
    ax.axis("off")
    ax.set_title("Wiring: %s (boards/%s.py)" % (BOARDS[name], name), fontsize=12)
    # power
    box(ax, 0.2, 6.6, 1.8, 0.9, "12 V DC supply\n(2 A, fused)", "#f9dcdc")
    box(ax, 0.2, 5.2, 1.8, 0.9, "buck 12 V → 5 V\n(to VSYS / 5V pin)", "#f9dcdc")
    wire(ax, [(1.1, 6.6), (1.1, 6.1)], "red")
    wire(ax, [(2.0, 7.05), (11.5, 7.05)], "red", "+12 V rail")
    # MCU
    box(ax, 0.2, 1.6, 2.6, 3.0, "%s\n\nI2C%s SDA = GPIO %s\nI2C%s SCL = GPIO %s\n%s kHz\n\n3V3 out, GND" % (
        BOARDS[name], v["I2C_ID"], v["I2C_SDA"], v["I2C_ID"], v["I2C_SCL"], int(v["I2C_FREQ"]) // 1000))
    wire(ax, [(1.1, 5.2), (1.1, 4.6)], "red", "5 V")
    # sensor + pull-ups
    sensor = v["SENSOR"]
    box(ax, 3.4, 0.3, 2.4, 1.1, "%s\naddress 0x%02X" % (SENSOR_TEXT[sensor], int(v["SENSOR_ADDR"], 16)), "#e2f0f9")
    wire(ax, [(2.8, 2.4), (4.2, 2.4), (4.2, 1.4)], "green", "SDA")
    wire(ax, [(2.8, 2.0), (5.0, 2.0), (5.0, 1.4)], "blue", "SCL")
    ax.text(3.0, 2.75, "4.7 kΩ pull-ups SDA, SCL → 3V3\n(short wires: < 30 cm at 400 kHz)", fontsize=7)
    ax.text(3.45, 0.05, "3V3 + GND; port: tube to the device side of the chamber", fontsize=7)
    # stages
    p_in, p_lbl = mosfet_stage(ax, 4.4, "pump\n12 V diaphragm", v["PUMP_PIN"], v["PUMP_FREQ"], "darkorange",
                              pwm_unit(v, v["PUMP_PIN"]))
    wire(ax, [(2.8, 3.6), (3.9, 3.6), (3.9, p_in[1]), p_in], "darkorange")
    ax.text(2.85, 3.7, p_lbl, fontsize=7, color="darkorange")
    v_in, v_lbl = mosfet_stage(ax, 8.3, "vent valve\nnormally OPEN\n(vents unpowered)", v["VENT_PIN"], v["VENT_FREQ"], "teal",
                              pwm_unit(v, v["VENT_PIN"]))
    wire(ax, [(2.8, 3.2), (7.8, 3.2), (7.8, v_in[1]), v_in], "teal")
    ax.text(5.2, 3.28, v_lbl, fontsize=7, color="teal")
    extra = []
    if "BUZZER_PIN" in v:
        extra.append("buzzer: GPIO %s (PWM %s) → NPN → piezo" % (v["BUZZER_PIN"], pwm_unit(v, v["BUZZER_PIN"])))
    if "LED_PIN" in v:
        extra.append("status LED: GPIO %s (on board)" % v["LED_PIN"])
    extra.append("mechanical relief valve on the chamber (opens above the labelled maximum)")
    extra.append("pump gate pull-down + NO vent: safe (pump off, vent open) before the firmware runs")
    ax.text(6.2, 1.6, "\n".join(extra), fontsize=7.5, va="top")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / (name + ".png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def main() -> None:
    for name in BOARDS:
        print(draw(name).relative_to(ROOT))


if __name__ == "__main__":
    main()
