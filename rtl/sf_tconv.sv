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
// The engine computes Groups (G) output channels per memory entry and splits each
// entry's taps (Taps = Kernel*Kernel*Cin) into Fold (F) phases of TapsOp = ceil(Taps/F)
// taps.  An OP is one window times one memory entry c (output channels c*G .. c*G+G-1)
// times one phase p (taps p*TapsOp .. p*TapsOp+TapsOp-1), so a window takes
// Ops = Cycles*F ops, Cycles = ceil(Cout/G), in the order c = 0, p = 0..F-1, c = 1, ...;
// in the last entry of a window the channels >= Cout are computed from undefined memory
// lanes and dropped.  Per op: G x TapsOp multipliers, G adder trees (4:1 per register
// stage, i.e. at most two adder levels between registers), then the accumulator
// acc = (p == 0 ? bias : acc) + sum; after phase F-1 the requantisation multiply (acc
// split in 17-bit chunks, one 18x17 product each), round + saturate, and the G results
// go into the output pixel register; the pixel is pushed into the output FIFO after its
// last op.  F = 1 is the unfolded engine (acc = bias + sum).  The sum is exact in every
// order, so F changes the schedule, never a result.
//
// Resources (report): G*TapsOp multipliers of (InBits + !InSigned) x WeightBits bits
// signed (MULT18X18D or LUTs), plus G*ceil((AccWidth-1)/17) requantisation multipliers
// of 18 x 17 bits.  If the block's windows arrive on average one per T clocks
// (T = product of the squared strides up to and including this block, relative to a
// one-pixel-per-clock network input), every multiplier is busy Ops/T of the clocks
// (the generator picks the largest F with Ops <= T) and does useful work
// Cout*Taps/(G*TapsOp*T) of them (ops of the last, partial entry waste
// (Cycles*G - Cout)/(Cycles*G) of their products, a partial last phase
// (F*TapsOp - Taps)/(F*TapsOp)).  Registers: two window-wide pipeline stages (x1, x2,
// Kernel*Kernel*Cin*InBits bits each), one of the phase's taps (x3, TapsOp*InBits) and
// one of the products (G*TapsOp*(InBits + !InSigned + WeightBits)) besides the FIFOs.
// With F > 1 each x3/w3 bit is a F:1 multiplexer on the phase.
//
// Memories (instantiated outside, next to the register block; rtl/sf_weight_mem.sv),
// the same for every Fold (an entry is read once per phase):
//   weights: Lanes = G*Taps, ValueWidth = WeightBits, Depth = Cout*Taps, values row-major
//            (Cout, Cin, K, K): value i = ((co*Cin + ci)*K + ky)*K + kx.  Entry c lane l
//            holds co = c*G + l / Taps, ci = (l % Taps) / (K*K), ky*K + kx = l % (K*K);
//            the window tap (ky*K + kx)*Cin + ci is wired to it here.
//   biases:  Lanes = G, ValueWidth = BiasBits, Depth = Cout (entry c lane g = co c*G + g).
//   Both with UseRdBank = 1; entry address width EntryWidth = clog2(Cycles) (min 1).
//   w_rd_* and b_rd_* are registered outputs and read every op (the same en/bank/addr on
//   both; the F ops of an entry read the same address); rd_data must arrive one cycle
//   after rd_en (sf_weight_mem's read register).  The op's phase of the weight read data
//   is selected into a register here before use.
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
//   of at most one per Ops clocks and the bursts fit the smoothing FIFO.  Stride 2,
//   Ops = 4 (the intended pairing, T = 4) with even Width and Height: windows come
//   one per 2 clocks during every other input row, the engine drains one per 4 clocks,
//   so the backlog peaks at about Width/4 + a few windows; the default SmoothDepth =
//   2^clog2(Width/4 + 8) covers it.  (An odd Height puts two window rows back to back
//   at the frame boundary, and has more than one window per 4 pixels anyway.)
//
// Latency (clocks, m_axis_tready high, engine idle): sf_window presents a window
// Kwin clocks after the slot that completes it (Kwin = 3 for Kernel 3: the slot of
// input pixel m + Width + 1 for centre m; Kwin = 1 for Kernel 1: the pixel itself);
// the engine starts it 3 clocks later (smoothing FIFO fall-through); its last op issues
// Ops - 1 clocks after the start; the pixel enters the output FIFO EngineLatency =
// 10 + TreeStages clocks after that (TreeStages = ceil(log4(TapsOp))) and is on m_axis 3
// clocks later.  In total
//   3 + Kwin + 3 + (Ops - 1) + (10 + TreeStages) + 3 = Kwin + Ops + TreeStages + 18
// clocks from the acceptance of that input pixel to m_axis_tvalid (the first 3: the
// input slice's fall-through), plus queueing in the smoothing FIFO (up to SmoothDepth *
// Ops clocks) and back-pressure (tb/sf_tconv logs it).
//
// Timing (ECP5-85F, speed 6, yowasp yosys synth_ecp5 + nextpnr-ecp5, harness: this block
// with its two memories, 64x48, Cin 4, Cout 8, K3, G 2: 76 MULT18X18D, ~3.0k LUT4, 6.8k
// FF, 467 DPR16X4): 98..124 MHz, run to run.  Limits found:
//   * `*` on MULT18X18D: yosys/nextpnr do not pack the fabric registers into the DSP,
//     so reg -> DSP (3.93 ns combinational) -> reg is >= 7.06 ns even in isolation
//     (141.6 MHz).  Hence the multipliers are sf_mul instances: with SF_ECP5_DSP (the
//     FPGA flow) each is a MULT18X18D with its own input and output registers.
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
  parameter int unsigned Groups      = Cout,  // G: output channels per memory entry, 1..Cout
  parameter int unsigned Fold        = 1,     // F: ops (tap phases) per memory entry, 1..Taps
  // Smoothing FIFO depth in windows, power of 2 >= 2.
  parameter int unsigned SmoothDepth = 2 ** $clog2(Width / 4 + 8),
  localparam int unsigned Taps       = Kernel * Kernel * Cin,
  localparam int unsigned Cycles     = (Cout + Groups - 1) / Groups,
  localparam int unsigned EntryWidth = (Cycles > 1) ? $clog2(Cycles) : 1,
  localparam int unsigned TapsOp     = (Taps + Fold - 1) / Fold,  // taps per op
  localparam int unsigned Ops        = Cycles * Fold                // ops per window
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
  localparam int unsigned PhW      = (Fold > 1) ? $clog2(Fold) : 1;  // phase index
  // Adder tree: stage s (0 = products) has ceil(TapsOp / 4^s) values of PWidth + 2s bits.
  localparam int unsigned TreeStages = ($clog2(TapsOp) + 1) / 2;
  localparam int unsigned SumWidth   = PWidth + 2 * TreeStages;
  // The accumulator holds the sum over all Taps (as the unfolded tree's) plus the bias.
  localparam int unsigned FullWidth  = PWidth + 2 * (($clog2(Taps) + 1) / 2);
  localparam int unsigned AccWidth   = ((FullWidth > BiasBits) ? FullWidth : BiasBits) + 1;
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
  localparam int unsigned StProd = 5;                   // products, re-registered (tree stage 0)
  localparam int unsigned StAcc  = StProd + TreeStages + 1;  // acc = sum + bias; Mult
  localparam int unsigned StPp   = StAcc + 1;           // partial products acc * Mult
  localparam int unsigned StQ    = StPp + 1;            // q = t + 2^(Shift-1)
  localparam int unsigned StY    = StQ + 1;             // saturated results
  localparam int unsigned StPix  = StY + 1;             // pixel register; push
  localparam int unsigned EngineLatency = StPix;        // issue to output FIFO push

  // Output FIFO: room for every window in flight plus the FIFO's own 3-clock transit,
  // the credit lag and the unused credit, so that a ready output never holds the engine.
  localparam int unsigned InFlight  = (Ops + EngineLatency + Ops - 1) / Ops;
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
  localparam logic [PhW-1:0]        LastP = PhW'(Fold - 1);

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
  if (Fold < 1 || Fold > Taps) begin : gen_bad_fold
    $fatal(1, "sf_tconv: need 1 <= Fold <= Taps (%0d), got %0d", Taps, Fold);
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
    c = TapsOp;
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
  localparam int unsigned ProdBits = tree_offset(1);   // stage 0: the products
  localparam int unsigned SumsBits = (TreeBits > ProdBits) ? TreeBits - ProdBits : 1;

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
  // Engine issue: op (c, p) of the window at the smoothing FIFO head; the head is popped
  // by the last op.  A window starts (op 0) only with a credit.
  //
  // Credits: free_q = OutDepth - (output FIFO items) - (windows started, not yet pushed).
  // A start takes one, an output transfer returns one.  go_q (registered): this clock may
  // issue an op if the head window is there, i.e. it continues a started window, or
  // free_q was >= 2 in the previous clock (a start then may have taken one, so >= 1 is
  // left now).  A returned credit is seen one clock late; one credit is never used.
  // ---------------------------------------------------------------------------------
  logic                  issue, start, push, out_pop;
  logic [EntryWidth-1:0] c_q, c_n;
  logic [PhW-1:0]        p_q, p_n;
  logic                  p_wrap;                                 // p == Fold-1
  logic                  first_q, first_d, lastop_q, lastop_d;  // op 0, op Ops-1
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
  // The op after this one (within the window; lastop_q wraps both to 0).
  assign p_wrap    = (Fold == 1) | (p_q == LastP);
  assign p_n       = p_wrap ? '0 : p_q + 1'b1;
  assign c_n       = p_wrap ? c_q + 1'b1 : c_q;
  assign first_d   = issue ? lastop_q : first_q;
  assign lastop_d  = issue ? ((Ops == 1) | (~lastop_q & (c_n == LastC) & (p_n == LastP)))
                           : lastop_q;
  assign go_d      = ~first_d | (free_q[CreditW-1:1] != '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_q      <= '0;
      p_q      <= '0;
      first_q  <= 1'b1;
      lastop_q <= (Ops == 1);
      bank_q   <= 1'b0;
      go_q     <= 1'b0;
      take_q   <= 1'b0;
      free_q   <= CreditW'(OutDepth);
    end else begin
      if (issue) begin
        c_q      <= lastop_q ? '0 : c_n;
        p_q      <= lastop_q ? '0 : p_n;
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
  localparam int unsigned InfoW = EntryWidth + PhW + 4;  // {c, p, lastop, user, last, bank}
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
    info_q[StX1] <= {c_q, p_q, lastop_q, sm_user, sm_last, bank_cur};
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

  // The op's entry and phase in stage k.
  function automatic logic [EntryWidth-1:0] entry_at(input int k);
    entry_at = info_q[k][InfoW-1 -: EntryWidth];
  endfunction

  function automatic logic [PhW-1:0] phase_at(input int k);
    phase_at = info_q[k][4 +: PhW];
  endfunction

  // Output pixel register (channels written by the last phase of the entry computing them).
  logic [OutWidth-1:0] pix_out_q;

  // ---------------------------------------------------------------------------------
  // Datapath: window delay (stages 1, 2), the phase's taps and weights (stage 3),
  // products (stage 4, re-registered at 5), adder trees, accumulator, requantisation,
  // saturation.
  // ---------------------------------------------------------------------------------
  localparam int unsigned XOpWidth = TapsOp * InBits;
  localparam int unsigned WOpWidth = Groups * TapsOp * WeightBits;

  logic [WinWidth-1:0]              x1_q, x2_q;
  logic [XOpWidth-1:0]              x3_d;   // slot j: tap p*TapsOp + j
  logic [WOpWidth-1:0]              w3_d;   // group g slot j at g*TapsOp + j
  logic [Fold-1:0][XOpWidth-1:0]    x_phase;      // the taps of each phase
  logic [Fold-1:0][WOpWidth-1:0]    w_phase;
  logic [PhW-1:0]                   p2;           // phase of the op in stage 2
  logic [Groups*BiasBits-1:0]       b3_q;
  logic [TreeStages:0][Groups*BiasBits-1:0] bias_q;  // with tree stages 0..TreeStages
  // The tree: stage s at tree_offset(s).  Stage 0 is the products re-registered in the
  // fabric (prod_q, stage StProd): the DSP row is far from the block's adder trees, and a
  // reference build had 8.3 ns of route from a tap DSP's output register into its tree's
  // first adder register.  Stages 1..TreeStages are sums registered in tree_q (stage s at
  // tree_offset(s) - ProdBits).
  logic [ProdBits-1:0]              prod, prod_q;   // the DSPs' product registers (stage 4), stage 5
  logic [Groups*BiasBits-1:0]       b4_q;
  logic [SumsBits-1:0]              tree_d, tree_q;
  logic [TreeBits-1:0]              tree;

  if (TreeStages > 0) begin : gen_tree
    assign tree = {tree_q, prod_q};
  end else begin : gen_no_tree   // one tap per op: the product is the sum
    assign tree   = prod_q;
    assign tree_d = '0;
    logic unused_tree;
    assign unused_tree = ^tree_q;
  end

  // Phase p, slot j: tap t = p*TapsOp + j = (ky*K + kx)*Cin + ci, weight lane
  // g*Taps + ci*K*K + (ky*K + kx) of the entry; 0 past the last tap.
  for (genvar p = 0; p < Fold; p++) begin : gen_phase
    for (genvar j = 0; j < TapsOp; j++) begin : gen_slot
      localparam int unsigned T = p * TapsOp + j;
      if (T < Taps) begin : gen_tap
        assign x_phase[p][j*InBits +: InBits] = x2_q[T*InBits +: InBits];
        for (genvar g = 0; g < Groups; g++) begin : gen_w
          localparam int unsigned Lane = g * Taps + (T % Cin) * KK + T / Cin;
          assign w_phase[p][(g*TapsOp + j)*WeightBits +: WeightBits] =
              w_rd_data_i[Lane*WeightBits +: WeightBits];
        end
      end else begin : gen_pad
        assign x_phase[p][j*InBits +: InBits] = '0;
        for (genvar g = 0; g < Groups; g++) begin : gen_w
          assign w_phase[p][(g*TapsOp + j)*WeightBits +: WeightBits] = '0;
        end
      end
    end
  end

  assign p2 = phase_at(StX1 + 1);

  always_comb begin
    x3_d = x_phase[0];
    w3_d = w_phase[0];
    for (int p = 1; p < Fold; p++) begin
      if (p2 == PhW'(p)) begin
        x3_d = x_phase[p];
        w3_d = w_phase[p];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    x1_q      <= sm_data;
    x2_q      <= x1_q;
    b3_q      <= b_rd_data_i;
    b4_q      <= b3_q;
    prod_q    <= prod;
    bias_q[0] <= b4_q;
    for (int s = 1; s <= TreeStages; s++) bias_q[s] <= bias_q[s-1];
    tree_q    <= tree_d;
  end

  for (genvar g = 0; g < Groups; g++) begin : gen_group
    // Stage 0: products of the phase's slots (operands registered in the multipliers
    // at stage 3, products at stage 4, prod_q at stage 5).
    for (genvar j = 0; j < TapsOp; j++) begin : gen_tap
      sf_mul #(
        .AWidth   (WeightBits),
        .BWidth   (InBits),
        .ASigned  (1'b1),
        .BSigned  (InSigned),
        .PWidth   (PWidth)
      ) u_mul (
        .clk_i,
        .in_en_i  (1'b1),
        .a_i      (w3_d[(g*TapsOp + j)*WeightBits +: WeightBits]),
        .b_i      (x3_d[j*InBits +: InBits]),
        .out_en_i (1'b1),
        .p_o      (prod[(g * TapsOp + j) * PWidth +: PWidth])
      );
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
            assign a[j*OutW +: OutW] = OutW'(signed'(tree[InO + (4 * i + j) * InW +: InW]));
          end else begin : gen_zero
            assign a[j*OutW +: OutW] = '0;
          end
        end
        assign tree_d[OutO - ProdBits + i * OutW +: OutW] =
            (signed'(a[0 +: OutW]) + signed'(a[OutW +: OutW])) +
            (signed'(a[2*OutW +: OutW]) + signed'(a[3*OutW +: OutW]));
      end
    end

    // Stage StAcc: acc = (phase 0 ? bias : acc) + sum (ops of an entry's phases issue
    // in consecutive clocks; a bubble holds acc).  Its value and the channel's multiplier
    // load the requantisation multipliers' operand registers (with Fold > 1 also acc_q,
    // the accumulator itself), so no fabric register stands in front of a DSP.
    logic signed [SumWidth-1:0] sum;
    logic signed [AccWidth-1:0] acc_d, bias_ext;
    logic                       acc_en;
    logic        [15:0]         mult;
    assign sum      = signed'(tree[tree_offset(TreeStages) + g * SumWidth +: SumWidth]);
    assign bias_ext = AccWidth'(signed'(bias_q[TreeStages][g*BiasBits +: BiasBits]));
    assign acc_en   = (Fold == 1) || vld_q[StAcc-1];
    assign mult     = mult_of(entry_at(StAcc - 1), g);

    if (Fold == 1) begin : gen_single
      assign acc_d = AccWidth'(sum) + bias_ext;
    end else begin : gen_phases
      logic signed [AccWidth-1:0] acc_q;
      assign acc_d = AccWidth'(sum) + ((phase_at(StAcc - 1) == '0) ? bias_ext : acc_q);
      always_ff @(posedge clk_i) begin
        if (acc_en) acc_q <= acc_d;
      end
    end

    // Stage StPp: partial products chunk_k(acc) * Mult (18 x 17 bits signed each).
    logic [Chunks*PpWidth-1:0] pp;
    for (genvar k = 0; k < Chunks; k++) begin : gen_chunk
      logic [17:0] a;
      if (k < Chunks - 1) begin : gen_lo
        assign a = {1'b0, acc_d[17*k +: 17]};
      end else begin : gen_top
        assign a = 18'(signed'(acc_d[AccWidth-1 -: TopWidth]));
      end
      sf_mul #(
        .AWidth   (18),
        .BWidth   (16),
        .ASigned  (1'b1),
        .BSigned  (1'b0),
        .PWidth   (PpWidth)
      ) u_mul (
        .clk_i,
        .in_en_i  (acc_en),
        .a_i      (a),
        .b_i      (mult),
        .out_en_i (1'b1),
        .p_o      (pp[k*PpWidth +: PpWidth])
      );
    end

    // Stage StQ: q = t + 2^(Shift-1), t = sum_k pp_k * 2^(17k) (at most 2 adder levels).
    // Partial product k at its weight 2^(17k), sign-extended (0 for k >= Chunks).
    logic [3*QWidth-1:0]      term;
    logic signed [QWidth-1:0] q_q;
    for (genvar k = 0; k < 3; k++) begin : gen_term
      if (k < Chunks) begin : gen_val
        assign term[k*QWidth +: QWidth] =
            QWidth'(signed'(pp[k*PpWidth +: PpWidth])) <<< (17 * k);
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

    // Stage StPix: the entry's channels go into the pixel register after its last phase.
    for (genvar i = 0; i < Cycles; i++) begin : gen_pix
      if (i * Groups + g < Cout) begin : gen_ch
        localparam int unsigned Co = i * Groups + g;
        always_ff @(posedge clk_i) begin
          if (vld_q[StY] && entry_at(StY) == EntryWidth'(i) &&
              (Fold == 1 || phase_at(StY) == LastP)) begin
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
