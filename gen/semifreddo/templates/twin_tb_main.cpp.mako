${header}\
// C++ driver of ${tb} (make bench): clocks it, zeroes the toggle coverage when streaming
// starts, writes coverage.dat and stats.txt (clocks and wall seconds of the streaming).
#include <chrono>
#include <cstdio>
#include <memory>
#include "V${tb}.h"
#include "verilated.h"
#include "verilated_cov.h"

int main(int argc, char** argv) {
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  auto top = std::make_unique<V${tb}>(ctx.get());
  unsigned long long cyc = 0, start = 0;
  bool streaming = false;
  auto t0 = std::chrono::steady_clock::now();
  top->clk_i = 0;
  top->eval();
  while (!top->done_o && cyc < ${max_cycles}ULL) {
    top->clk_i = 1; top->eval(); ctx->timeInc(1);
    top->clk_i = 0; top->eval(); ctx->timeInc(1);
    ++cyc;
    if (top->load_done_o && !streaming) {
      streaming = true;
      start = cyc;
      ctx->coveragep()->zero();
      t0 = std::chrono::steady_clock::now();
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  top->final();
  ctx->coveragep()->write("coverage.dat");
  FILE* f = std::fopen("stats.txt", "w");
  std::fprintf(f, "%llu %llu %d %.6f\n", cyc, start, int(top->done_o), secs);
  std::fclose(f);
  return top->done_o ? 0 : 1;
}
