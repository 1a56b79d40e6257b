// The virtual board: drives the Verilated module virtual_board (ports clk, rst, rx, tx,
// idle: the board's link top, its rst and rx inputs through one register each; see
// boards/virtual.py) as the USB-UART bridge of a real board would, at bit level.
//
// Usage: virtual_board CYCLES_PER_BIT [CHECK_CYCLES]
//
// stdin: commands of two bytes [op, value]:
//   op 0: send byte `value` on rx (8N1, least significant bit first); bytes are queued
//         and sent back to back;
//   op 1: reset the board (rst high for RESET_CYCLES cycles), in turn with the bytes;
//   op 2: send `value` with a bad (low) stop bit, then two bit times of idle line, so
//         that a receiver that waits for the line to go high finds the next start bit;
//   op 3: quit: once the commands before it are done and the board is idle (or after
//         QUIT_CYCLES more cycles), flush stdout and exit. The end of stdin does the
//         same; SIGTERM quits at once.
// stdout: every byte decoded from tx (start bit found on a falling edge and confirmed
//   in its middle, every bit sampled in its middle); a byte with a low stop bit is not
//   written (it is counted as a framing error).
// stderr at exit: one line "virtual_board: cycles=N busy_seconds=S ...".
//
// Cost: stdin is read (non-blocking) and stdout flushed every CHECK_CYCLES cycles
// (default 256). When nothing is queued, the board's idle output is high and tx is
// idle, the driver blocks in poll() on stdin: an idle virtual board uses no CPU.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <unistd.h>
#include <vector>

#include "Vvirtual_board.h"
#include "Vvirtual_board___024root.h"
#include "verilated.h"

// The model's evaluation without eval()'s bookkeeping around it (freeing dynamic
// objects, messages from other threads: a nomul design has neither); 5 % faster on
// examples/hd_block64.toml. Referenced weakly: with a Verilator that names its
// internals otherwise it is null and eval() is used.
void Vvirtual_board___024root___eval(Vvirtual_board___024root* vlSelf) __attribute__((weak));

namespace {

constexpr int RESET_CYCLES = 4;
constexpr uint64_t QUIT_CYCLES = 1 << 24;
constexpr size_t QUEUE_LIMIT = 1 << 17;   // bytes of commands held before stdin waits
constexpr size_t OUT_LIMIT = 1 << 12;     // bytes of output held before a flush

inline void evaluate(Vvirtual_board& top) {
    if (Vvirtual_board___024root___eval) Vvirtual_board___024root___eval(top.rootp);
    else top.eval();
}

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

enum Op : uint8_t { SEND = 0, RESET = 1, SEND_BAD_STOP = 2, QUIT = 3 };

struct Stats {
    uint64_t cycles = 0, bytes_in = 0, bytes_out = 0, bad_stops_sent = 0, resets = 0,
             framing_errors = 0, glitches = 0;
    double busy_seconds = 0;
};

// Commands read from stdin, consumed in order.
class Input {
  public:
    bool eof = false;
    bool quit = false;

    Input() { fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK); }

    bool empty() const { return available() < 2; }

    // The next command; call only when !empty().
    void next(uint8_t& op, uint8_t& value) {
        op = buffer_[start_];
        value = buffer_[start_ + 1];
        start_ += 2;
    }

    // Reads what stdin holds, without waiting.
    void read_some() {
        if (eof || available() >= QUEUE_LIMIT) return;
        if (start_ > 0 && start_ * 2 >= buffer_.size()) {
            buffer_.erase(buffer_.begin(), buffer_.begin() + start_);
            start_ = 0;
        }
        size_t old = buffer_.size();
        buffer_.resize(old + 65536);
        ssize_t got = ::read(0, buffer_.data() + old, 65536);
        buffer_.resize(old + (got > 0 ? got : 0));
        if (got == 0) eof = true;
        else if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            eof = true;
    }

    // Waits until stdin has something (or ends), then reads it.
    void wait() {
        pollfd fd{0, POLLIN, 0};
        // A finite wait: a stop signal arriving just before poll() is still seen.
        while (!stop_requested) {
            const int ready = ::poll(&fd, 1, 200);
            if (ready > 0 || (ready < 0 && errno != EINTR)) break;
        }
        read_some();
    }

  private:
    std::vector<uint8_t> buffer_;
    size_t start_ = 0;
    size_t available() const { return buffer_.size() - start_; }
};

class Output {
  public:
    void put(uint8_t byte) {
        buffer_.push_back(byte);
        if (buffer_.size() >= OUT_LIMIT) flush();
    }
    void flush() {
        size_t done = 0;
        while (done < buffer_.size()) {
            ssize_t wrote = ::write(1, buffer_.data() + done, buffer_.size() - done);
            if (wrote < 0) {
                if (errno == EINTR) continue;
                std::exit(0);                  // the reader is gone: nothing to tell
            }
            done += wrote;
        }
        buffer_.clear();
    }
    bool pending() const { return !buffer_.empty(); }

  private:
    std::vector<uint8_t> buffer_;
};

// The host side of rx: one frame of bits at a time, each `period` cycles long.
struct Sender {
    int period;
    uint32_t bits = 0;    // levels still to send, least significant first
    int count = 0;        // bits left in `bits`
    int timer = 0;        // cycles left of the current bit
    int reset_left = 0;   // cycles of rst still to hold

    bool busy() const { return count > 0 || reset_left > 0; }

    void load(uint8_t value, bool bad_stop) {
        // start bit 0, data, stop bit 1; or stop bit 0 and two idle bits
        bits = ((uint32_t)value << 1) | ((bad_stop ? 0b110u : 0b1u) << 9);
        count = bad_stop ? 12 : 10;
        timer = period;
    }

    // The rx level for this cycle, then one cycle passes.
    uint8_t step() {
        uint8_t level = count > 0 ? (bits & 1) : 1;
        if (count > 0 && --timer == 0) {
            bits >>= 1;
            --count;
            timer = period;
        }
        return level;
    }
};

// The host side of tx: finds start bits and samples each bit in its middle.
struct Receiver {
    int period;
    enum { IDLE, FRAME, WAIT_HIGH } state = IDLE;
    int timer = 0;
    int bit = 0;          // 0: start bit, 1..8: data, 9: stop bit
    uint8_t byte = 0;

    bool idle() const { return state == IDLE; }

    // Takes the tx level after a clock edge; true when `byte` was just completed.
    bool step(uint8_t level, Stats& stats) {
        switch (state) {
        case IDLE:
            if (!level) {
                state = FRAME;
                bit = 0;
                timer = period / 2;
            }
            return false;
        case WAIT_HIGH:
            if (level) state = IDLE;
            return false;
        case FRAME:
            if (--timer > 0) return false;
            timer = period;
            if (bit == 0) {
                if (level) { state = IDLE; ++stats.glitches; return false; }
            } else if (bit <= 8) {
                byte = (uint8_t)((byte >> 1) | (level << 7));
            } else {
                if (level) { state = IDLE; return true; }
                ++stats.framing_errors;
                state = WAIT_HIGH;
                return false;
            }
            ++bit;
            return false;
        }
        return false;
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::atoi(argv[1]) < 2) {
        std::fprintf(stderr, "usage: %s CYCLES_PER_BIT [CHECK_CYCLES]\n", argv[0]);
        return 2;
    }
    const int period = std::atoi(argv[1]);
    const uint64_t check_cycles = argc > 2 ? std::max(1, std::atoi(argv[2])) : 256;
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGTERM, on_signal);

    auto context = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vvirtual_board>(context.get());
    Input input;
    Output output;
    Stats stats;
    Sender sender{period};
    Receiver receiver{period};
    sender.reset_left = RESET_CYCLES;    // as the board's power-on reset

    top->clk = 0;
    top->rx = 1;
    top->rst = 1;
    top->eval();                         // the first evaluation initialises the model

    using clock = std::chrono::steady_clock;
    auto busy_since = clock::now();
    uint64_t next_check = check_cycles;
    uint64_t quit_by = 0;

    for (;;) {
        // Feed the sender.
        if (!sender.busy() && !input.empty() && !input.quit) {
            uint8_t op, value;
            input.next(op, value);
            switch (op) {
            case SEND: sender.load(value, false); ++stats.bytes_in; break;
            case SEND_BAD_STOP: sender.load(value, true); ++stats.bytes_in;
                ++stats.bad_stops_sent; break;
            case RESET: sender.reset_left = RESET_CYCLES; ++stats.resets; break;
            case QUIT: input.quit = true; quit_by = stats.cycles + QUIT_CYCLES; break;
            default:
                std::fprintf(stderr, "virtual_board: unknown command %u\n", op);
                return 2;
            }
        }
        if (!sender.busy() && input.empty() && input.eof && !input.quit) {
            input.quit = true;                 // end of input: as a quit command
            quit_by = stats.cycles + QUIT_CYCLES;
        }
        // One clock cycle.
        top->rst = sender.reset_left > 0;
        if (sender.reset_left > 0) --sender.reset_left;
        top->rx = sender.step();
        top->clk = 0;
        evaluate(*top);
        top->clk = 1;
        evaluate(*top);
        ++stats.cycles;
        if (receiver.step(top->tx, stats)) {
            output.put(receiver.byte);
            ++stats.bytes_out;
        }
        // Now and then, and whenever the board may have gone idle: talk to the relay.
        bool quiet = !sender.busy() && (input.empty() || input.quit) && top->idle
                     && top->tx && receiver.idle();
        if (input.quit && (quiet || stats.cycles >= quit_by)) break;
        if (quiet || stats.cycles >= next_check) {
            next_check = stats.cycles + check_cycles;
            if (output.pending()) output.flush();
            input.read_some();
            if (quiet && input.empty() && !input.eof && !stop_requested) {
                stats.busy_seconds +=
                    std::chrono::duration<double>(clock::now() - busy_since).count();
                input.wait();
                busy_since = clock::now();
            }
            if (stop_requested) break;
        }
    }
    output.flush();
    stats.busy_seconds += std::chrono::duration<double>(clock::now() - busy_since).count();
    top->final();
    std::fprintf(stderr,
                 "virtual_board: cycles=%llu busy_seconds=%.6f bytes_in=%llu bytes_out=%llu "
                 "bad_stops_sent=%llu resets=%llu framing_errors=%llu glitches=%llu "
                 "fast_eval=%d\n",
                 (unsigned long long)stats.cycles, stats.busy_seconds,
                 (unsigned long long)stats.bytes_in, (unsigned long long)stats.bytes_out,
                 (unsigned long long)stats.bad_stops_sent, (unsigned long long)stats.resets,
                 (unsigned long long)stats.framing_errors,
                 (unsigned long long)stats.glitches,
                 Vvirtual_board___024root___eval != nullptr);
    return 0;
}
