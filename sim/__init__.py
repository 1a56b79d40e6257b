"""Simulation against the golden models: Amaranth simulator, cocotb on the Verilog, lint."""
