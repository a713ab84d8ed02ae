// SemifreddoNets-HW: trainable convolution block (run-time weights from a banked memory).
//
// Arithmetic: docs/arithmetic.md section 2, bit for bit:
//   acc = b[co] + sum_{ci,ky,kx} w[co][ci][ky][kx] * x[S*i+ky-P][S*j+kx-P][ci]  ("same" zero
//   padding), t = acc * Mult[co], r = (t + 2^(Shift-1)) >>> Shift (r = t for Shift = 0),
//   relu (Relu = 1, output u<OutBits>) or none (s<OutBits>), saturate to OutBits.
//
// Structure
// ---------
//   s_axis -> input slice (sf_fifo, 4) -> sf_window -> smoothing sf_fifo (SmoothDepth
//   windows) -> engine -> sf_fifo -> m_axis
// The engine computes Groups (G) output channels per clock: an OP is one window times
// one memory entry c (output channels c*G .. c*G+G-1), so a window takes
// Cycles = ceil(Cout/G) ops; in the last op of a window the channels >= Cout are
// computed from undefined memory lanes and dropped.  Per op: G x Taps multipliers
// (Taps = Kernel*Kernel*Cin), G adder trees (4:1 per register stage, i.e. at most two
// adder levels between registers), bias add, requantisation multiply (acc split in
// 17-bit chunks, one 18x17 product each), round + saturate, then the G results go into
// the output pixel register; the pixel is pushed into the output FIFO after its last op.
//
// Resources (report): G*Taps multipliers of (InBits + !InSigned) x WeightBits bits
// signed (MULT18X18D or LUTs), plus G*ceil((AccWidth-1)/17) requantisation multipliers
// of 18 x 17 bits.  If the block's windows arrive on average one per T clocks
// (T = product of the squared strides up to and including this block, relative to a
// one-pixel-per-clock network input), every multiplier is busy Cycles/T of the clocks
// and does useful work Cout/(G*T) of them (ops of the last, partial entry waste
// (Cycles*G - Cout)/ (Cycles*G) of their products).  Registers: three window-wide
// pipeline stages (x1..x3, Kernel*Kernel*Cin*InBits bits each) besides the FIFOs.
//
// Memories (instantiated outside, next to the register block; rtl/sf_weight_mem.sv):
//   weights: Lanes = G*Taps, ValueWidth = WeightBits, Depth = Cout*Taps, values row-major
//            (Cout, Cin, K, K): value i = ((co*Cin + ci)*K + ky)*K + kx.  Entry c lane l
//            holds co = c*G + l / Taps, ci = (l % Taps) / (K*K), ky*K + kx = l % (K*K);
//            the window tap (ky*K + kx)*Cin + ci is wired to it here.
//   biases:  Lanes = G, ValueWidth = BiasBits, Depth = Cout (entry c lane g = co c*G + g).
//   Both with UseRdBank = 1; entry address width EntryWidth = clog2(Cycles) (min 1).
//   w_rd_* and b_rd_* are registered outputs and read every op (the same en/bank/addr on
//   both); rd_data must arrive one cycle after rd_en (sf_weight_mem's read register).
//   The memory read data are re-registered here before use.
//
// Frame tags (docs/architecture.md, "Weight banks and frame tags"): a TagDepth-entry
// FIFO is pushed with s_axis_tbank when the block accepts the first pixel of a frame (by
// its own pixel counter, which agrees with s_axis_tuser on a well-formed stream), and
// popped when the engine starts the first window of an output frame.  The popped tag is
// the bank of every memory read of that frame and is forwarded on m_axis_tbank with
// EVERY pixel of the output frame.  If the tag FIFO is full, the first pixel of the next
// frame waits (cannot happen with the derived TagDepth; it only guards tiny frames).
//
// Flow control and throughput
// ---------------------------
// * s_axis: through a 4-deep input slice (sf_fifo: s_axis_tready is a flop, one pixel
//   per clock sustained) into sf_window (one pixel per clock, a flush of Width+1 clocks
//   after a frame whose successor does not follow immediately: see rtl/sf_window.sv).
//   The slice pops when window tready & !(tag FIFO full at a frame start).
// * The engine never stalls once an op issues (free-running pipeline).  It starts a
//   window only with a credit (OutDepth credits: a start takes one, an m_axis transfer
//   returns it), from a registered, conservative flag (see "Credits" below).  So
//   m_axis_tready reaches only the output FIFO and the credit counter.
// * No input stall: with m_axis_tready high, the block accepts one pixel per clock
//   indefinitely (back-to-back frames, no gaps) whenever windows arrive at an average
//   of at most one per Cycles clocks and the bursts fit the smoothing FIFO.  Stride 2,
//   Cycles = 4 (the intended pairing, T = 4) with even Width and Height: windows come
//   one per 2 clocks during every other input row, the engine drains one per 4 clocks,
//   so the backlog peaks at about Width/4 + a few windows; the default SmoothDepth =
//   2^clog2(Width/4 + 8) covers it.  (An odd Height puts two window rows back to back
//   at the frame boundary, and has more than one window per 4 pixels anyway.)
//
// Latency (clocks, m_axis_tready high, engine idle): sf_window presents a window
// Kwin clocks after the slot that completes it (Kwin = 3 for Kernel 3: the slot of
// input pixel m + Width + 1 for centre m; Kwin = 1 for Kernel 1: the pixel itself);
// the engine starts it 3 clocks later (smoothing FIFO fall-through); its last op issues
// Cycles - 1 clocks after the start; the pixel enters the output FIFO EngineLatency =
// 9 + TreeStages clocks after that (TreeStages = ceil(log4(Taps))) and is on m_axis 3
// clocks later.  In total
//   3 + Kwin + 3 + (Cycles - 1) + (9 + TreeStages) + 3 = Kwin + Cycles + TreeStages + 17
// clocks from the acceptance of that input pixel to m_axis_tvalid (the first 3: the
// input slice's fall-through), plus queueing in the smoothing FIFO (up to SmoothDepth *
// Cycles clocks) and back-pressure.  Measured: 24 (Kernel 3, Taps 27, Cycles 1) and 27
// (Kernel 3, Taps 18, Cycles 4), as the formula.
//
// Timing (ECP5-85F, speed 6, yowasp yosys synth_ecp5 + nextpnr-ecp5, harness: this block
// with its two memories, 64x48, Cin 4, Cout 8, K3, G 2: 76 MULT18X18D, ~3.0k LUT4, 6.8k
// FF, 467 DPR16X4): 98..124 MHz, run to run.  Limits found:
//   * `*` on MULT18X18D: yosys/nextpnr do not pack the fabric registers into the DSP,
//     so reg -> DSP (3.93 ns combinational) -> reg is >= 7.06 ns even in isolation
//     (141.6 MHz).  150 MHz needs the DSP's own input/output registers (instantiated
//     MULT18X18D with REG_INPUTA/B_CLK, REG_OUTPUT_CLK) or a flow that absorbs them.
//   * This file's other logic (multipliers replaced, sf_window/sf_fifo stubbed): 142.9
//     MHz, worst path a 4:1 adder-tree stage (two levels as LUT + one carry chain, 4.8
//     ns of its 7.0 ns routing); 2:1 stages would trade it for one stage per level.
//   * Wide shared stages: sf_window's output-register load/mask and sf_fifo's read
//     enable drive the CE/LSR of ~290 window flops across the die (7-8 ns routing).
//
// frame_err_o: sticky, from sf_window (tuser/tlast disagreeing with its counters).
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release it synchronously); only control
// state is reset (valid bits, counters, credits, tag FIFO, current bank = 0).
module sf_tconv #(
  parameter int unsigned Width       = 16,  // input frame width in pixels, >= 2
  parameter int unsigned Height      = 16,  // input frame height in pixels
  parameter int unsigned Cin         = 2,   // input channels
  parameter int unsigned Cout        = 4,   // output channels
  parameter int unsigned Kernel      = 3,   // 1 or 3
  parameter int unsigned Stride      = 1,   // 1 or 2
  parameter int unsigned InBits      = 8,   // input bits per channel, 1..17 - !InSigned
  parameter bit          InSigned    = 1'b0,
  parameter int unsigned WeightBits  = 8,   // 2..18
  parameter int unsigned BiasBits    = 16,  // 2..32
  parameter int unsigned OutBits     = 8,   // 2..16
  parameter bit          Relu        = 1'b1,  // 1: relu (u<OutBits>), 0: none (s<OutBits>)
  parameter int unsigned Shift       = 8,   // 0..31
  // Requantisation multiplier of output channel co at [co*16 +: 16], unsigned.
  parameter logic [Cout*16-1:0] Mult = {Cout{16'd1}},
  parameter int unsigned Groups      = Cout,  // G: output channels per engine clock, 1..Cout
  // Smoothing FIFO depth in windows, power of 2 >= 2.
  parameter int unsigned SmoothDepth = 2 ** $clog2(Width / 4 + 8),
  localparam int unsigned Taps       = Kernel * Kernel * Cin,
  localparam int unsigned Cycles     = (Cout + Groups - 1) / Groups,
  localparam int unsigned EntryWidth = (Cycles > 1) ? $clog2(Cycles) : 1
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,

  input  logic                                s_axis_tvalid,
  output logic                                s_axis_tready,
  input  logic [Cin*InBits-1:0]               s_axis_tdata,
  input  logic                                s_axis_tuser,
  input  logic                                s_axis_tlast,
  input  logic                                s_axis_tbank,

  output logic                                m_axis_tvalid,
  input  logic                                m_axis_tready,
  output logic [Cout*OutBits-1:0]             m_axis_tdata,
  output logic                                m_axis_tuser,
  output logic                                m_axis_tlast,
  output logic                                m_axis_tbank,

  output logic                                frame_err_o,

  // Weight memory (sf_weight_mem, Lanes = Groups*Taps, ValueWidth = WeightBits)
  output logic                                w_rd_en_o,
  output logic                                w_rd_bank_o,
  output logic [EntryWidth-1:0]               w_rd_addr_o,
  input  logic [Groups*Taps*WeightBits-1:0]   w_rd_data_i,

  // Bias memory (sf_weight_mem, Lanes = Groups, ValueWidth = BiasBits)
  output logic                                b_rd_en_o,
  output logic                                b_rd_bank_o,
  output logic [EntryWidth-1:0]               b_rd_addr_o,
  input  logic [Groups*BiasBits-1:0]          b_rd_data_i
);

  // ---------------------------------------------------------------------------------
  // Widths and pipeline geometry
  // ---------------------------------------------------------------------------------
  localparam int unsigned KK       = Kernel * Kernel;
  localparam int unsigned WinWidth = Taps * InBits;
  localparam int unsigned XWidth   = InBits + (InSigned ? 0 : 1);  // signed operand
  localparam int unsigned PWidth   = XWidth + WeightBits;           // product
  // Adder tree: stage s (0 = products) has ceil(Taps / 4^s) values of PWidth + 2s bits.
  localparam int unsigned TreeStages = ($clog2(Taps) + 1) / 2;
  localparam int unsigned SumWidth   = PWidth + 2 * TreeStages;
  localparam int unsigned AccWidth   = ((SumWidth > BiasBits) ? SumWidth : BiasBits) + 1;
  // Requantisation: acc in 17-bit chunks (low chunks unsigned, top chunk signed, <= 18 bits).
  localparam int unsigned Chunks     = (AccWidth + 15) / 17;
  localparam int unsigned TopWidth   = AccWidth - 17 * (Chunks - 1);
  localparam int unsigned PpWidth    = 18 + 17;
  localparam int unsigned QWidth     = ((AccWidth + 16 > Shift) ? AccWidth + 16 : Shift + 1) + 1;
  localparam int unsigned RWidth     = QWidth - Shift;
  localparam int unsigned CWidth     = (RWidth > OutBits + 2) ? RWidth : OutBits + 2;
  localparam int unsigned OutWidth   = Cout * OutBits;

  // Control pipeline stages (an op issued in clock t is in stage k during clock t+k).
  localparam int unsigned StX1   = 1;                   // issue regs, memory read
  localparam int unsigned StProd = 4;                   // products (tree stage 0)
  localparam int unsigned StAcc  = StProd + TreeStages + 1;  // acc = sum + bias; Mult
  localparam int unsigned StPp   = StAcc + 1;           // partial products acc * Mult
  localparam int unsigned StQ    = StPp + 1;            // q = t + 2^(Shift-1)
  localparam int unsigned StY    = StQ + 1;             // saturated results
  localparam int unsigned StPix  = StY + 1;             // pixel register; push
  localparam int unsigned EngineLatency = StPix;        // issue to output FIFO push

  // Output FIFO: room for every window in flight plus the FIFO's own 3-clock transit,
  // the credit lag and the unused credit, so that a ready output never holds the engine.
  localparam int unsigned InFlight  = (Cycles + EngineLatency + Cycles - 1) / Cycles;
  localparam int unsigned OutDepth  = 2 ** $clog2(InFlight + 5);
  localparam int unsigned CreditW   = $clog2(OutDepth + 1);  // free credits 0..OutDepth
  localparam int unsigned CountW    = $clog2(OutDepth + 1);

  // Tag FIFO: frames whose first pixel is accepted but whose first window has not been
  // started: at most (look-ahead + pipeline + smoothing FIFO span) / frame size + 2.
  localparam int unsigned FramePix  = Width * Height;
  localparam int unsigned TagFrames = (Width + 8 + SmoothDepth * Stride * Width + FramePix - 1)
                                      / FramePix + 2;
  localparam int unsigned TagAw     = $clog2(TagFrames);
  localparam int unsigned TagDepth  = 2 ** TagAw;

  localparam int unsigned PixCntW   = (FramePix > 1) ? $clog2(FramePix) : 1;
  localparam logic [PixCntW-1:0] LastPix = PixCntW'(FramePix - 1);
  localparam logic [EntryWidth-1:0] LastC = EntryWidth'(Cycles - 1);

  // Multipliers padded to whole entries (channels >= Cout multiply by 0).
  localparam logic [Cycles*Groups*16-1:0] MultPad = (Cycles * Groups * 16)'(Mult);
  // Rounding constant and saturation bounds.
  localparam logic signed [QWidth-1:0] Rnd = (Shift > 0) ? (QWidth'(1) << (Shift - 1)) : '0;
  localparam logic signed [CWidth-1:0] SatLo =
      Relu ? '0 : {{(CWidth - OutBits + 1){1'b1}}, {(OutBits - 1){1'b0}}};
  localparam logic signed [CWidth-1:0] SatHi =
      Relu ? {{(CWidth - OutBits){1'b0}}, {OutBits{1'b1}}}
           : {{(CWidth - OutBits + 1){1'b0}}, {(OutBits - 1){1'b1}}};

  if (Kernel != 1 && Kernel != 3) begin : gen_bad_kernel
    $fatal(1, "sf_tconv: Kernel must be 1 or 3, got %0d", Kernel);
  end
  if (Stride != 1 && Stride != 2) begin : gen_bad_stride
    $fatal(1, "sf_tconv: Stride must be 1 or 2, got %0d", Stride);
  end
  if (Groups < 1 || Groups > Cout || Cin < 1) begin : gen_bad_groups
    $fatal(1, "sf_tconv: need Cin >= 1 and 1 <= Groups <= Cout");
  end
  if (XWidth > 18 || WeightBits < 2 || WeightBits > 18) begin : gen_bad_mul
    $fatal(1, "sf_tconv: operands must fit 18 bits (InBits + !InSigned, WeightBits 2..18)");
  end
  if (BiasBits < 2 || BiasBits > 32 || OutBits < 2 || OutBits > 16 || Shift > 31) begin : gen_bad_q
    $fatal(1, "sf_tconv: BiasBits 2..32, OutBits 2..16, Shift 0..31");
  end
  if (Chunks > 3) begin : gen_bad_acc
    $fatal(1, "sf_tconv: accumulator of %0d bits needs > 3 requantisation chunks", AccWidth);
  end

  // Tree geometry: values in stage s, and offset of stage s in the flat tree vector.
  // (Function results by name assignment: Yosys's frontend has no `return`.)
  function automatic int tree_count(input int s);
    int c;
    c = Taps;
    for (int i = 0; i < s; i++) c = (c + 3) / 4;
    tree_count = c;
  endfunction

  function automatic int tree_offset(input int s);
    int o;
    o = 0;
    for (int i = 0; i < s; i++) o += Groups * tree_count(i) * (PWidth + 2 * i);
    tree_offset = o;
  endfunction

  localparam int unsigned TreeBits = tree_offset(TreeStages + 1);

  // ---------------------------------------------------------------------------------
  // Input slice: a 4-deep sf_fifo, so that s_axis_tready is a flop.  The window's
  // pipeline enable (from the smoothing FIFO's tready) ends at the slice instead of
  // running on through the blend and join upstream (the ready chain across a block).
  // ---------------------------------------------------------------------------------
  logic                  in_tvalid, in_tready, in_tuser, in_tlast, in_tbank;
  logic [Cin*InBits-1:0] in_tdata;
  logic [2:0]            in_count;

  sf_fifo #(
    .Width(Cin * InBits + 3),
    .Depth(4)
  ) u_in_slice (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid,
    .s_axis_tready,
    .s_axis_tdata ({s_axis_tbank, s_axis_tuser, s_axis_tlast, s_axis_tdata}),
    .m_axis_tvalid(in_tvalid),
    .m_axis_tready(in_tready),
    .m_axis_tdata ({in_tbank, in_tuser, in_tlast, in_tdata}),
    .count_o      (in_count)
  );

  // ---------------------------------------------------------------------------------
  // Input: own pixel counter (frame starts for the tag FIFO), tag FIFO, window.
  // ---------------------------------------------------------------------------------
  logic               in_hs, in_hold;
  logic               win_in_tready;
  logic [PixCntW-1:0] in_pix_q;
  logic               sof_q;             // next input pixel is the first of a frame

  logic               tag_mem_q [TagDepth];
  logic [TagAw-1:0]   tag_wr_q, tag_rd_q;
  logic [TagAw:0]     tag_cnt_q, tag_cnt_d;
  logic               tag_full_q, tag_avail_q;   // registered count == TagDepth, != 0
  logic               tag_head, tag_push, tag_pop;

  assign tag_head  = tag_mem_q[tag_rd_q];
  assign tag_cnt_d = tag_cnt_q + (TagAw+1)'(tag_push) - (TagAw+1)'(tag_pop);

  assign in_hold   = sof_q & tag_full_q;
  assign in_tready = win_in_tready & ~in_hold;
  assign in_hs     = in_tvalid & in_tready;
  assign tag_push  = in_hs & sof_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_pix_q <= '0;
      sof_q    <= 1'b1;
      tag_wr_q    <= '0;
      tag_rd_q    <= '0;
      tag_cnt_q   <= '0;
      tag_full_q  <= 1'b0;
      tag_avail_q <= 1'b0;
    end else begin
      if (in_hs) begin
        in_pix_q <= (in_pix_q == LastPix) ? '0 : in_pix_q + 1'b1;
        sof_q    <= (in_pix_q == LastPix);
      end
      if (tag_push) tag_wr_q <= tag_wr_q + 1'b1;
      if (tag_pop)  tag_rd_q <= tag_rd_q + 1'b1;
      tag_cnt_q   <= tag_cnt_d;
      tag_full_q  <= (tag_cnt_d == (TagAw+1)'(TagDepth));
      tag_avail_q <= (tag_cnt_d != '0);
    end
  end

  always_ff @(posedge clk_i) begin
    if (tag_push) tag_mem_q[tag_wr_q] <= in_tbank;
  end

  logic                win_tvalid, win_tready, win_tuser, win_tlast;
  logic [WinWidth-1:0] win_tdata;

  sf_window #(
    .Width    (Width),
    .Height   (Height),
    .Channels (Cin),
    .DataWidth(InBits),
    .Kernel   (Kernel),
    .Stride   (Stride)
  ) u_window (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(in_tvalid & ~in_hold),
    .s_axis_tready(win_in_tready),
    .s_axis_tdata (in_tdata),
    .s_axis_tuser (in_tuser),
    .s_axis_tlast (in_tlast),
    .m_axis_tvalid(win_tvalid),
    .m_axis_tready(win_tready),
    .m_axis_tdata (win_tdata),
    .m_axis_tuser (win_tuser),
    .m_axis_tlast (win_tlast),
    .frame_err_o
  );

  // ---------------------------------------------------------------------------------
  // Smoothing FIFO: absorbs window bursts (stride 2) while the engine spends Cycles
  // clocks per window.
  // ---------------------------------------------------------------------------------
  logic                sm_valid, sm_pop, sm_user, sm_last;
  logic [WinWidth-1:0] sm_data;
  logic [$clog2(SmoothDepth+1)-1:0] sm_count;

  sf_fifo #(
    .Width(WinWidth + 2),
    .Depth(SmoothDepth)
  ) u_smooth (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(win_tvalid),
    .s_axis_tready(win_tready),
    .s_axis_tdata ({win_tuser, win_tlast, win_tdata}),
    .m_axis_tvalid(sm_valid),
    .m_axis_tready(sm_pop),
    .m_axis_tdata ({sm_user, sm_last, sm_data}),
    .count_o      (sm_count)
  );

  // ---------------------------------------------------------------------------------
  // Engine issue: op c of the window at the smoothing FIFO head; the head is popped by
  // the last op.  A window starts (op 0) only with a credit.
  //
  // Credits: free_q = OutDepth - (output FIFO items) - (windows started, not yet pushed).
  // A start takes one, an output transfer returns one.  go_q (registered): this clock may
  // issue an op if the head window is there, i.e. it continues a started window, or
  // free_q was >= 2 in the previous clock (a start then may have taken one, so >= 1 is
  // left now).  A returned credit is seen one clock late; one credit is never used.
  // ---------------------------------------------------------------------------------
  logic                  issue, start, push, out_pop;
  logic [EntryWidth-1:0] c_q;
  logic                  first_q, first_d, lastop_q, lastop_d;  // c == 0, c == Cycles-1
  logic                  bank_q, bank_cur, new_frame;
  logic                  go_q, go_d, take_q;
  logic [CreditW-1:0]    free_q;
  logic [CountW-1:0]     out_count;

  assign issue     = sm_valid & go_q;
  assign start     = issue & first_q;
  // The head is taken by the last op.  take_q = go_q & lastop_q, as a register: the
  // FIFO's tready comes straight from a flop (tready without tvalid is harmless).
  assign sm_pop    = take_q;
  assign new_frame = start & sm_user;
  assign tag_pop   = new_frame & tag_avail_q;
  assign bank_cur  = tag_pop ? tag_head : bank_q;
  assign out_pop   = m_axis_tvalid & m_axis_tready;
  assign first_d   = issue ? lastop_q : first_q;
  assign lastop_d  = issue ? ((Cycles == 1) | (~lastop_q & (c_q == LastC - 1'b1))) : lastop_q;
  assign go_d      = ~first_d | (free_q[CreditW-1:1] != '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_q      <= '0;
      first_q  <= 1'b1;
      lastop_q <= (Cycles == 1);
      bank_q   <= 1'b0;
      go_q     <= 1'b0;
      take_q   <= 1'b0;
      free_q   <= CreditW'(OutDepth);
    end else begin
      if (issue) begin
        c_q      <= lastop_q ? '0 : c_q + 1'b1;
        bank_q   <= bank_cur;
      end
      first_q  <= first_d;
      lastop_q <= lastop_d;
      free_q   <= free_q + CreditW'(out_pop) - CreditW'(start);
      go_q     <= go_d;
      take_q   <= go_d & lastop_d;
    end
  end

  // Stage 1: memory read requests (registered outputs) and the window.
  logic                  rd_en_q, rd_bank_q;
  logic [EntryWidth-1:0] rd_addr_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_en_q <= 1'b0;
    end else begin
      rd_en_q <= issue;
    end
  end

  always_ff @(posedge clk_i) begin
    rd_bank_q <= bank_cur;
    rd_addr_q <= c_q;
  end

  assign w_rd_en_o   = rd_en_q;
  assign w_rd_bank_o = rd_bank_q;
  assign w_rd_addr_o = rd_addr_q;
  assign b_rd_en_o   = rd_en_q;
  assign b_rd_bank_o = rd_bank_q;
  assign b_rd_addr_o = rd_addr_q;

  // Control pipeline: valid (reset) and op info (no reset) per stage 1..StPix.
  localparam int unsigned InfoW = EntryWidth + 4;  // {c, lastop, user, last, bank}
  logic [StPix:1]   vld_q;
  logic [StPix:StX1][InfoW-1:0] info_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vld_q <= '0;
    end else begin
      vld_q <= {vld_q[StPix-1:1], issue};
    end
  end

  always_ff @(posedge clk_i) begin
    info_q[StX1] <= {c_q, lastop_q, sm_user, sm_last, bank_cur};
    for (int k = StX1 + 1; k <= StPix; k++) info_q[k] <= info_q[k-1];
  end

  function automatic logic [15:0] mult_of(input logic [EntryWidth-1:0] c, input int g);
    logic [15:0] m;
    m = '0;
    for (int i = 0; i < Cycles; i++) begin
      if (c == EntryWidth'(i)) m = MultPad[(i * Groups + g) * 16 +: 16];
    end
    mult_of = m;
  endfunction

  // Output pixel register (channels written by the op that computes them).
  logic [OutWidth-1:0] pix_out_q;

  // ---------------------------------------------------------------------------------
  // Datapath: window delay (stages 1..3), memory data (stage 3), products (stage 4),
  // adder trees, bias, requantisation, saturation.
  // ---------------------------------------------------------------------------------
  logic [WinWidth-1:0]              x1_q, x2_q, x3_q;
  logic [Groups*Taps*WeightBits-1:0] w3_q;
  logic [Groups*BiasBits-1:0]       b3_q;
  logic [TreeStages:0][Groups*BiasBits-1:0] bias_q;  // with tree stages 0..TreeStages
  logic [TreeBits-1:0]              tree_d, tree_q;

  always_ff @(posedge clk_i) begin
    x1_q      <= sm_data;
    x2_q      <= x1_q;
    x3_q      <= x2_q;
    w3_q      <= w_rd_data_i;
    b3_q      <= b_rd_data_i;
    bias_q[0] <= b3_q;
    for (int s = 1; s <= TreeStages; s++) bias_q[s] <= bias_q[s-1];
    tree_q    <= tree_d;
  end

  for (genvar g = 0; g < Groups; g++) begin : gen_group
    // Stage 0: products.  Tap t = (ky*K + kx)*Cin + ci uses weight lane
    // g*Taps + ci*K*K + (ky*K + kx).
    for (genvar t = 0; t < Taps; t++) begin : gen_tap
      localparam int unsigned Lane = g * Taps + (t % Cin) * KK + t / Cin;
      logic signed [WeightBits-1:0] w;
      logic signed [XWidth-1:0]     x;
      if (InSigned) begin : gen_xs
        assign x = signed'(x3_q[t*InBits +: InBits]);
      end else begin : gen_xu
        assign x = signed'({1'b0, x3_q[t*InBits +: InBits]});
      end
      assign w = signed'(w3_q[Lane*WeightBits +: WeightBits]);
      assign tree_d[tree_offset(0) + (g * Taps + t) * PWidth +: PWidth] =
          PWidth'(w) * PWidth'(x);
    end

    // Stages 1..TreeStages: sums of 4 (two adder levels).
    for (genvar s = 1; s <= TreeStages; s++) begin : gen_stage
      localparam int unsigned InW  = PWidth + 2 * (s - 1);
      localparam int unsigned OutW = PWidth + 2 * s;
      localparam int unsigned InN  = tree_count(s - 1);
      localparam int unsigned OutN = tree_count(s);
      localparam int unsigned InO  = tree_offset(s - 1) + g * InN * InW;
      localparam int unsigned OutO = tree_offset(s) + g * OutN * OutW;
      for (genvar i = 0; i < OutN; i++) begin : gen_sum
        // Inputs, sign-extended (0 past the stage's last value).
        logic [4*OutW-1:0] a;
        for (genvar j = 0; j < 4; j++) begin : gen_in
          if (4 * i + j < InN) begin : gen_val
            assign a[j*OutW +: OutW] = OutW'(signed'(tree_q[InO + (4 * i + j) * InW +: InW]));
          end else begin : gen_zero
            assign a[j*OutW +: OutW] = '0;
          end
        end
        assign tree_d[OutO + i * OutW +: OutW] =
            (signed'(a[0 +: OutW]) + signed'(a[OutW +: OutW])) +
            (signed'(a[2*OutW +: OutW]) + signed'(a[3*OutW +: OutW]));
      end
    end

    // Stage StAcc: acc = sum + bias; the channel's multiplier.
    logic signed [SumWidth-1:0] sum;
    logic signed [AccWidth-1:0] acc_q;
    logic        [15:0]         mult_q;
    assign sum = signed'(tree_q[tree_offset(TreeStages) + g * SumWidth +: SumWidth]);

    always_ff @(posedge clk_i) begin
      acc_q  <= AccWidth'(sum) + AccWidth'(signed'(bias_q[TreeStages][g*BiasBits +: BiasBits]));
      mult_q <= mult_of(info_q[StAcc-1][InfoW-1 -: EntryWidth], g);
    end

    // Stage StPp: partial products chunk_k(acc) * Mult (18 x 17 bits signed each).
    logic signed [16:0]        m;
    logic [Chunks*PpWidth-1:0] pp_q;
    assign m = signed'({1'b0, mult_q});
    for (genvar k = 0; k < Chunks; k++) begin : gen_chunk
      logic signed [17:0] a;
      if (k < Chunks - 1) begin : gen_lo
        assign a = signed'({1'b0, acc_q[17*k +: 17]});
      end else begin : gen_top
        assign a = 18'(signed'(acc_q[AccWidth-1 -: TopWidth]));
      end
      always_ff @(posedge clk_i) begin
        pp_q[k*PpWidth +: PpWidth] <= PpWidth'(a) * PpWidth'(m);
      end
    end

    // Stage StQ: q = t + 2^(Shift-1), t = sum_k pp_k * 2^(17k) (at most 2 adder levels).
    // Partial product k at its weight 2^(17k), sign-extended (0 for k >= Chunks).
    logic [3*QWidth-1:0]      term;
    logic signed [QWidth-1:0] q_q;
    for (genvar k = 0; k < 3; k++) begin : gen_term
      if (k < Chunks) begin : gen_val
        assign term[k*QWidth +: QWidth] =
            QWidth'(signed'(pp_q[k*PpWidth +: PpWidth])) <<< (17 * k);
      end else begin : gen_zero
        assign term[k*QWidth +: QWidth] = '0;
      end
    end

    always_ff @(posedge clk_i) begin
      q_q <= (signed'(term[0 +: QWidth]) + signed'(term[QWidth +: QWidth])) +
             (signed'(term[2*QWidth +: QWidth]) + Rnd);
    end

    // Stage StY: r = q >>> Shift, activation and saturation.
    logic signed [RWidth-1:0] r;
    logic signed [CWidth-1:0] rc;
    logic        [OutBits-1:0] y_q;
    assign r  = q_q[QWidth-1:Shift];
    assign rc = CWidth'(r);

    always_ff @(posedge clk_i) begin
      if (rc < SatLo) begin
        y_q <= SatLo[OutBits-1:0];
      end else if (rc > SatHi) begin
        y_q <= SatHi[OutBits-1:0];
      end else begin
        y_q <= rc[OutBits-1:0];
      end
    end

    // Stage StPix: the op's channels go into the pixel register.
    for (genvar i = 0; i < Cycles; i++) begin : gen_pix
      if (i * Groups + g < Cout) begin : gen_ch
        localparam int unsigned Co = i * Groups + g;
        always_ff @(posedge clk_i) begin
          if (vld_q[StY] && info_q[StY][InfoW-1 -: EntryWidth] == EntryWidth'(i)) begin
            pix_out_q[Co*OutBits +: OutBits] <= y_q;
          end
        end
      end
    end

    // The Shift bits below the rounding point are dropped by design (the rounding
    // constant is already in q); so are the bits of pp/q above the exact range.
    logic unused_q;
    assign unused_q = ^q_q[(Shift > 0 ? Shift : 1)-1:0];
  end

  // ---------------------------------------------------------------------------------
  // Output FIFO: the pixel is pushed in the clock after its last op wrote it.
  // ---------------------------------------------------------------------------------
  logic fifo_ready;
  logic p_lastop, p_user, p_last, p_bank;

  assign {p_lastop, p_user, p_last, p_bank} = info_q[StPix][3:0];
  assign push = vld_q[StPix] & p_lastop;

  sf_fifo #(
    .Width(OutWidth + 3),
    .Depth(OutDepth)
  ) u_out (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(push),
    .s_axis_tready(fifo_ready),
    .s_axis_tdata ({p_bank, p_user, p_last, pix_out_q}),
    .m_axis_tvalid,
    .m_axis_tready,
    .m_axis_tdata ({m_axis_tbank, m_axis_tuser, m_axis_tlast, m_axis_tdata}),
    .count_o      (out_count)
  );

  // fifo_ready is high whenever an item arrives: the credits guarantee room.  The FIFO
  // counts are not needed (credits count transfers; the smoothing FIFO's tready is the
  // window's back-pressure; the input slice's tready is its own).
  // The op index of the last stages is not needed after the pixel register.
  logic unused;
  assign unused = ^{fifo_ready, in_count, sm_count, out_count, info_q[StPix][InfoW-1:4]};

endmodule
