# The simulated flash chip: littlefs on an image file, persistence across
# remounts, the W25Q16JV timing and the torn write at the N-th operation.
import os

from flash import BLOCK_SIZE, PICO_BLOCKS, BusyClock, MOUNT_POINT, PowerCut, SimFlash, remove_image, scratch_image, with_scratch_chip


def test_blank_chip_is_formatted_and_sized_like_a_pico():
    def body(chip):
        st = os.statvfs(MOUNT_POINT)
        assert st[0] == BLOCK_SIZE and st[2] == PICO_BLOCKS == 352
        assert os.listdir(MOUNT_POINT) == []
        # A fresh image only holds what was written (erased bytes are implicit).
        assert os.stat(chip.path)[6] < 4 * BLOCK_SIZE

    with_scratch_chip(body, PICO_BLOCKS)


def test_files_survive_remount_and_a_new_process_view_of_the_image():
    def body(chip):
        with open(MOUNT_POINT + "/a.txt", "w") as f:
            f.write("kept")
        chip.mount()  # a reboot
        assert open(MOUNT_POINT + "/a.txt").read() == "kept"
        chip.close()
        chip2 = SimFlash(chip.path, 32)  # the same image, as a later run sees it
        chip2.mount()
        assert open(MOUNT_POINT + "/a.txt").read() == "kept"
        chip2.close()

    with_scratch_chip(body, 32)


def test_busy_time_is_charged_to_the_clock():
    clock = BusyClock()

    def body(chip):
        chip.attach(clock, None)
        w0 = chip.writes
        with open(MOUNT_POINT + "/b", "wb") as f:
            f.write(bytes(300))
        assert chip.writes > w0
        # At least one page program (0.4 ms) per modifying operation.
        assert clock.us >= 400 * (chip.writes - w0)

    with_scratch_chip(body, 32)


def test_cut_at_write_tears_the_write_and_the_old_file_survives():
    def body(chip):
        with open(MOUNT_POINT + "/c", "w") as f:
            f.write("old")
        chip.cut_at_write(1)
        try:
            with open(MOUNT_POINT + "/c", "w") as f:
                f.write("new" * 100)
        except PowerCut:
            pass
        else:
            raise AssertionError("no power cut")
        assert chip.cuts == 1
        chip.mount()  # reboot
        assert open(MOUNT_POINT + "/c").read() == "old"
        # The dead instance's late writes (finalisers) never reach the chip.
        with open(MOUNT_POINT + "/c", "w") as f:
            f.write("after")
        chip.mount()
        assert open(MOUNT_POINT + "/c").read() == "after"

    with_scratch_chip(body, 32)


def test_a_too_large_image_is_refused():
    path = scratch_image()
    with open(path, "wb") as f:
        f.write(bytes(9 * BLOCK_SIZE))
    try:
        SimFlash(path, 8)
    except ValueError as e:
        assert "larger" in str(e)
    else:
        raise AssertionError("accepted")
    finally:
        remove_image(path)
