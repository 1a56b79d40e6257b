// The compiled lane's driver (nomul sim --simulator fast): runs the Verilated wrapper
// `nomul_fast` (the design plus every tap brought out as a port) through one stimulus
// file and writes what it shows on every cycle to a trace file.
//
//   driver STIMULUS TRACE [WAVES.vcd]
//
// STIMULUS (little-endian): u32 magic 0x6e6d6673, u32 cycles, u32 beats, u32 words per
// beat, u32 beats per vector; cycles bytes of control (bit 0 rst, bit 1 in_valid, bit 2
// out_ready); beats x words u32 of input beat payloads.
// TRACE: per cycle RECORD_WORDS u32, sampled before the rising edge with the inputs of
// the cycle applied: flag words (bit 0 i.ready, bit 1 o.valid, bit 2 + k tap k's valid),
// then each tap's register, then o.payload, each in whole u32 words.
// The source offers beat k whenever in_valid is set and beats remain, moves on after a
// cycle with valid & ready & ~rst, and goes back to the start of its vector on a reset.
// The model starts from the Verilog's initial values: every valid bit low.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "Vnomul_fast.h"
#include "verilated.h"
#ifdef NOMUL_WAVES
#include "verilated_vcd_c.h"
#endif

template <typename T> static inline void put(uint32_t*& out, const T& value, int words) {
    uint64_t v = value;
    out[0] = uint32_t(v);
    if (words > 1) out[1] = uint32_t(v >> 32);
    out += words;
}

template <std::size_t N> static inline void put(uint32_t*& out, const VlWide<N>& value, int words) {
    for (int i = 0; i < words; i++) out[i] = value[i];
    out += words;
}

template <typename T> static inline void get(T& port, const uint32_t* in, int words) {
    uint64_t v = in[0];
    if (words > 1) v |= uint64_t(in[1]) << 32;
    port = T(v);
}

template <std::size_t N> static inline void get(VlWide<N>& port, const uint32_t* in, int words) {
    for (int i = 0; i < words; i++) port[i] = in[i];
}

// @DESIGN@

static void fail(const char* what) {
    std::fprintf(stderr, "nomul fast driver: %s\n", what);
    std::exit(2);
}

int main(int argc, char** argv) {
    if (argc < 3) fail("usage: driver STIMULUS TRACE [WAVES.vcd]");
    FILE* in = std::fopen(argv[1], "rb");
    if (!in) fail("cannot open the stimulus");
    uint32_t head[5];
    if (std::fread(head, 4, 5, in) != 5 || head[0] != 0x6e6d6673) fail("not a stimulus file");
    const uint32_t cycles = head[1], beats = head[2], words = head[3], per_vector = head[4];
    if (words != IN_WORDS) fail("stimulus beats have the wrong width");
    std::vector<uint8_t> control(cycles);
    std::vector<uint32_t> payloads(std::size_t(beats) * words + words);
    if (std::fread(control.data(), 1, cycles, in) != cycles ||
        std::fread(payloads.data(), 4, std::size_t(beats) * words, in) != std::size_t(beats) * words)
        fail("the stimulus file is short");
    std::fclose(in);
    FILE* out = std::fopen(argv[2], "wb");
    if (!out) fail("cannot write the trace");

    auto context = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vnomul_fast>(context.get());
#ifdef NOMUL_WAVES
    context->traceEverOn(true);
    auto waves = std::make_unique<VerilatedVcdC>();
    if (argc > 3) { top->trace(waves.get(), 99); waves->open(argv[3]); }
#endif
    uint64_t time = 0;
    top->clk = 0;
    top->eval();
    const uint32_t block = 4096;
    std::vector<uint32_t> buffer(std::size_t(block) * RECORD_WORDS);
    uint32_t k = 0, filled = 0;
    const std::vector<uint32_t> zero(words + 1, 0);
    for (uint32_t t = 0; t < cycles; t++) {
        const uint8_t c = control[t];
        const bool rst = c & 1, offer = (c & 2) && k < beats;
        top->rst = rst;
        top->in_valid = offer;
        get(top->in_payload, offer ? &payloads[std::size_t(k) * words] : zero.data(), IN_WORDS);
        top->out_ready = (c >> 2) & 1;
        top->eval();
#ifdef NOMUL_WAVES
        if (argc > 3) waves->dump(time);
#endif
        time += 5;
        uint32_t* record = &buffer[std::size_t(filled) * RECORD_WORDS];
        sample(*top, record);
        if (rst) k -= k % per_vector;
        else if (offer && top->in_ready) k++;
        top->clk = 1;
        top->eval();
#ifdef NOMUL_WAVES
        if (argc > 3) waves->dump(time);
#endif
        time += 5;
        top->clk = 0;
        top->eval();
        if (++filled == block) {
            std::fwrite(buffer.data(), 4, std::size_t(filled) * RECORD_WORDS, out);
            filled = 0;
        }
    }
    std::fwrite(buffer.data(), 4, std::size_t(filled) * RECORD_WORDS, out);
#ifdef NOMUL_WAVES
    if (argc > 3) waves->close();
#endif
    if (std::fclose(out) != 0) fail("cannot write the trace");
    top->final();
    return 0;
}
