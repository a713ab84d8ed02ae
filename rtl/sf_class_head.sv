// SemifreddoNets-HW: classification head (docs/arithmetic.md section 4).
//
//   pool[c]  = sum over the frame of T[y][x][c]
//   score[n] = fb[n] + sum_c fw[n][c] * pool[c]        (exact, signed, ScoreWidth bits)
//
// Input: pixel stream s_axis_* (Channels x InBits per pixel, channel c at
// [c*InBits +: InBits], two's complement when InSigned), tuser on the first pixel of a
// frame, tlast on the last pixel of every row, tbank = the frame's weight bank (sampled
// on the first pixel of the frame).  Width x Height pixels per frame, raster order.
//
// Output: one score stream beat per class, class 0 first (m_axis_tuser on class 0,
// m_axis_tlast on class Classes-1), m_axis_tdata = score (signed, ScoreWidth bits); and
// scores_o (class n at [n*ScoreWidth +: ScoreWidth]) = the scores of the last completed
// frame, all updated in the same clock, stable until the next frame's scores are
// complete; scores_valid_o pulses (one clock) in the first cycle scores_o shows a new
// frame; frame_count_o counts completed frames (wraps).
//
// Weights and biases come from two sf_weight_mem instances outside this module
// (Lanes = 1): fw[n][c] is value n*Channels + c of the weight memory (w_rd_*), fb[n]
// is value n of the bias memory (b_rd_*), both read from the bank the frame was stamped
// with (w_rd_bank_o / b_rd_bank_o), registered read data one clock after the enable.
//
// Scheme
// ------
// Pooling: one running sum per channel (PoolWidth bits, signed), one adder per channel;
// every accepted pixel is added.  At the frame's last pixel the completed sums are
// copied into the SNAPSHOT registers (double buffer) and the running sums restart with
// the next frame, so accumulation never waits for the FC layer.
//
// FC layer: ONE multiplier, time-shared.  The engine issues value index k = n*C + c for
// k = 0 .. Classes*Channels-1, one per clock: stage 0 reads fw and takes pool[c] from
// the head of the snapshot (the snapshot rotates by one channel per issue, so no
// Channels:1 multiplexer; after Channels issues it is back in place); stage 1 registers
// the weight (from the memory's read register, which sits with the register slave,
// across the chip) beside the multiplier, reading fb[n] on the class's first element;
// stage 2 multiplies, and registers fb[n] likewise; stage 3 accumulates into the score
// accumulator, loading fb[n] + product on the class's first element; stage 4 pushes the
// finished score into the output FIFO (sf_fifo) and into the staging shift register,
// which is copied into scores_o with the last class.  The engine starts a frame only when the output
// FIFO has room for all of its Classes scores, so the engine never stalls mid-frame.
//
// Flow control: s_axis_tready is low only on a frame's LAST pixel while the snapshot
// still holds the previous frame (its FC issue not finished or not started).  The FC of
// a frame takes Classes*Channels issue clocks and a frame takes >= Width*Height clocks
// (checked at elaboration: Width*Height >= Classes*Channels + Classes + 6; the engine
// itself needs Classes*Channels + 5), so back-to-back frames never stall the input as
// long as the FC can start, i.e. the output FIFO has room for the frame's Classes
// scores.  The FIFO holds 2*Classes scores (rounded up to a power of two): the previous
// frame's scores may still be waiting on m_axis; the input stalls only when m_axis takes
// fewer scores than are produced for about a frame time.  s_axis_tready depends on
// registered state only (never combinationally on m_axis_tready).
//
// Latency: last pixel accepted at the clock edge ending cycle t0 -> FC issue in cycles
// t0+1 .. t0+Classes*Channels -> scores_o / scores_valid_o in cycle
// t0 + Classes*Channels + 6 (when the output FIFO has room, i.e. m_axis drained).
// Score n is pushed into the FIFO in cycle t0 + (n+1)*Channels + 5 and is on m_axis
// 3 clocks later (sf_fifo fall-through latency) if the stream is not back-pressured.
//
// Robustness: the module's own pixel counters are AUTHORITATIVE; s_axis_tuser and
// s_axis_tlast are only checked: the sticky frame_err_o (cleared by reset only) is set
// when an accepted pixel's tuser differs from "first pixel of a frame" or its tlast
// differs from "last pixel of a row".  The bank is sampled on the pixel the counters
// call the first.
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release it synchronously).  Only control
// state is reset; pool sums, snapshot and datapath registers are not.
module sf_class_head #(
  parameter int unsigned Width           = 8,   // frame width in pixels
  parameter int unsigned Height          = 8,   // frame height in pixels
  parameter int unsigned Channels        = 4,   // C, channels per pixel
  parameter int unsigned InBits          = 8,   // bits per channel
  parameter bit          InSigned        = 1'b0,
  parameter int unsigned Classes         = 4,   // N, scores per frame
  parameter int unsigned WeightBits      = 8,   // fw: s<WeightBits>
  parameter int unsigned BiasBits        = 16,  // fb: s<BiasBits>
  // max(InBits + 1 + clog2(Width*Height) + WeightBits + clog2(Channels), BiasBits) + 1
  parameter int unsigned ScoreWidth      = 26,
  parameter int unsigned FrameCountWidth = 32,
  localparam int unsigned WAddrWidth = (Classes * Channels > 1) ? $clog2(Classes * Channels) : 1,
  localparam int unsigned BAddrWidth = (Classes > 1) ? $clog2(Classes) : 1
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,

  // Pixel stream in
  input  logic                             s_axis_tvalid,
  output logic                             s_axis_tready,
  input  logic [Channels*InBits-1:0]       s_axis_tdata,
  input  logic                             s_axis_tuser,
  input  logic                             s_axis_tlast,
  input  logic                             s_axis_tbank,

  // Score stream out
  output logic                             m_axis_tvalid,
  input  logic                             m_axis_tready,
  output logic [ScoreWidth-1:0]            m_axis_tdata,
  output logic                             m_axis_tuser,
  output logic                             m_axis_tlast,

  // Weight memory (sf_weight_mem, Lanes = 1): fw[n][c] at n*Channels + c
  output logic                             w_rd_en_o,
  output logic                             w_rd_bank_o,
  output logic [WAddrWidth-1:0]            w_rd_addr_o,
  input  logic [WeightBits-1:0]            w_rd_data_i,

  // Bias memory (sf_weight_mem, Lanes = 1): fb[n] at n
  output logic                             b_rd_en_o,
  output logic                             b_rd_bank_o,
  output logic [BAddrWidth-1:0]            b_rd_addr_o,
  input  logic [BiasBits-1:0]              b_rd_data_i,

  // Scores of the last completed frame
  output logic [Classes*ScoreWidth-1:0]    scores_o,
  output logic                             scores_valid_o,
  output logic [FrameCountWidth-1:0]       frame_count_o,
  output logic                             frame_err_o
);

  // ---------------------------------------------------------------------------------
  // Widths and elaboration checks
  // ---------------------------------------------------------------------------------
  localparam int unsigned Pixels    = Width * Height;
  localparam int unsigned PixBits   = $clog2(Pixels);            // clog2(H*W)
  localparam int unsigned ChanBits  = $clog2(Channels);          // clog2(C)
  // Exact pool sum: unsigned input needs one extra bit to become signed.
  localparam int unsigned PoolWidth = InBits + PixBits + (InSigned ? 0 : 1);
  localparam int unsigned ProdWidth = PoolWidth + WeightBits;
  // docs/arithmetic.md section 4.
  localparam int unsigned ReqDot    = InBits + 1 + PixBits + WeightBits + ChanBits;
  localparam int unsigned ReqScore  = ((ReqDot > BiasBits) ? ReqDot : BiasBits) + 1;
  localparam int unsigned Work      = Classes * Channels;        // multiply-accumulates
  localparam int unsigned MinPixels = Work + Classes + 6;
  localparam int unsigned XWidth    = (Width > 1) ? $clog2(Width) : 1;
  localparam int unsigned YWidth    = (Height > 1) ? $clog2(Height) : 1;
  localparam int unsigned CWidth    = (Channels > 1) ? $clog2(Channels) : 1;
  localparam int unsigned FifoMin   = (2 * Classes > 4) ? 2 * Classes : 4;
  localparam int unsigned FifoDepth = 1 << $clog2(FifoMin);
  localparam int unsigned FifoCntW  = $clog2(FifoDepth + 1);

  if (Width < 1 || Height < 1 || Channels < 1 || Classes < 1) begin : gen_bad_shape
    $fatal(1, "sf_class_head: Width, Height, Channels, Classes must be >= 1");
  end
  if (InBits < 1 || WeightBits < 1 || BiasBits < 1 || WeightBits > 32 || BiasBits > 32)
  begin : gen_bad_bits
    $fatal(1, "sf_class_head: InBits >= 1, WeightBits and BiasBits 1..32");
  end
  if (ScoreWidth < ReqScore) begin : gen_bad_score_width
    $fatal(1, "sf_class_head: ScoreWidth %0d < %0d required by docs/arithmetic.md",
           ScoreWidth, ReqScore);
  end
  if (Pixels < MinPixels) begin : gen_bad_frame
    $fatal(1, "sf_class_head: Width*Height = %0d < Classes*Channels + Classes + 6 = %0d",
           Pixels, MinPixels);
  end
  if (FrameCountWidth < 1) begin : gen_bad_count
    $fatal(1, "sf_class_head: FrameCountWidth must be >= 1");
  end

  // ---------------------------------------------------------------------------------
  // Input: position counters (authoritative), marker check, bank tag
  // ---------------------------------------------------------------------------------
  logic [XWidth-1:0] x_q;
  logic [YWidth-1:0] y_q;
  logic              px_first, px_row_end, px_last, in_hs;
  logic              snap_full_q;      // snapshot holds a frame not yet fully issued
  logic              frame_bank_q;
  logic              frame_err_q;

  assign px_row_end    = (x_q == XWidth'(Width - 1));
  assign px_first      = (x_q == '0) && (y_q == '0);
  assign px_last       = px_row_end && (y_q == YWidth'(Height - 1));
  assign s_axis_tready = ~(px_last & snap_full_q);
  assign in_hs         = s_axis_tvalid & s_axis_tready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_q          <= '0;
      y_q          <= '0;
      frame_bank_q <= 1'b0;
      frame_err_q  <= 1'b0;
    end else if (in_hs) begin
      if (px_row_end) begin
        x_q <= '0;
        y_q <= px_last ? '0 : y_q + 1'b1;
      end else begin
        x_q <= x_q + 1'b1;
      end
      if (px_first) frame_bank_q <= s_axis_tbank;
      if (s_axis_tuser != px_first || s_axis_tlast != px_row_end) frame_err_q <= 1'b1;
    end
  end

  assign frame_err_o = frame_err_q;

  // ---------------------------------------------------------------------------------
  // Sum pool and snapshot (double buffer)
  // ---------------------------------------------------------------------------------
  logic signed [PoolWidth-1:0] px_ext [Channels];
  logic signed [PoolWidth-1:0] sum_d  [Channels];
  logic signed [PoolWidth-1:0] pool_q [Channels];
  logic signed [PoolWidth-1:0] snap_q [Channels];
  logic                        snap_load, snap_bank_q, issue;

  for (genvar c = 0; c < Channels; c++) begin : gen_ext
    if (InSigned) begin : gen_signed
      assign px_ext[c] = PoolWidth'($signed(s_axis_tdata[c*InBits +: InBits]));
    end else begin : gen_unsigned
      assign px_ext[c] = PoolWidth'(s_axis_tdata[c*InBits +: InBits]);
    end
  end

  always_comb begin
    for (int c = 0; c < Channels; c++) begin
      sum_d[c] = (px_first ? '0 : pool_q[c]) + px_ext[c];
    end
  end

  assign snap_load = in_hs & px_last;

  always_ff @(posedge clk_i) begin
    if (in_hs) pool_q <= sum_d;
  end

  // Loaded at the frame's last pixel; rotated by one channel per FC issue (head at 0).
  always_ff @(posedge clk_i) begin
    if (snap_load) begin
      snap_q <= sum_d;
    end else if (issue) begin
      for (int c = 0; c < Channels; c++) snap_q[c] <= snap_q[(c + 1) % Channels];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      snap_bank_q <= 1'b0;
    end else if (snap_load) begin
      snap_bank_q <= px_first ? s_axis_tbank : frame_bank_q;  // 1-pixel frames
    end
  end

  // ---------------------------------------------------------------------------------
  // FC engine: issue (stage 0)
  // ---------------------------------------------------------------------------------
  logic                  busy_q;         // from start until the frame's last score push
  logic                  issuing_q;
  logic                  eng_bank_q;     // bank for the stage-1 bias reads
  logic [CWidth-1:0]     c_q;
  logic [WAddrWidth-1:0] k_q;
  logic                  start, issue_first, issue_last, issue_end;
  logic [FifoCntW-1:0]   fifo_count;
  logic                  push, push_final;

  // The engine issues k = 0 in the cycle it starts; counters are back at 0 after a frame.
  assign start       = snap_full_q & ~busy_q
                     & (fifo_count <= FifoCntW'(FifoDepth - Classes));
  assign issue       = issuing_q | start;
  assign issue_first = (c_q == '0);
  assign issue_last  = (c_q == CWidth'(Channels - 1));
  assign issue_end   = issue && (k_q == WAddrWidth'(Work - 1));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      snap_full_q <= 1'b0;
      busy_q      <= 1'b0;
      issuing_q   <= 1'b0;
      eng_bank_q  <= 1'b0;
      c_q         <= '0;
      k_q         <= '0;
    end else begin
      // Loaded only while empty (s_axis_tready), freed by the frame's last issue.
      if (snap_load)      snap_full_q <= 1'b1;
      else if (issue_end) snap_full_q <= 1'b0;
      // start needs ~busy_q; push_final happens only while busy: never both.
      if (start)           busy_q <= 1'b1;
      else if (push_final) busy_q <= 1'b0;
      if (start) eng_bank_q <= snap_bank_q;
      issuing_q <= issue & ~issue_end;
      if (issue) begin
        c_q <= issue_last ? '0 : c_q + 1'b1;
        k_q <= issue_end ? '0 : k_q + 1'b1;
      end
    end
  end

  assign w_rd_en_o   = issue;
  assign w_rd_bank_o = snap_bank_q;   // stable while the snapshot is full
  assign w_rd_addr_o = k_q;

  // ---------------------------------------------------------------------------------
  // Stages 1 (operand registers of the multiplier, bias read), 2 (product register of the
  // multiplier, bias register), 3 (product and bias registered again), 4 (accumulate),
  // 5 (push).  The multiplier is an sf_mul: on ECP5 its operand and product registers are
  // the DSP's own.  The second product register lets the placer put the accumulator away
  // from the DSP rows (a build had 5.8 ns of route from a DSP to a lone product register).
  // ---------------------------------------------------------------------------------
  logic                         s1_valid_q, s1_first_q, s1_last_q;
  logic                         s2_valid_q, s2_first_q, s2_last_q;
  logic                         s3_valid_q, s3_first_q, s3_last_q;
  logic                         s4_valid_q, s4_first_q, s4_last_q;
  logic                         s5_valid_q;
  logic signed [PoolWidth-1:0]  a_q;
  logic signed [BiasBits-1:0]   b_q, b2_q;
  logic        [ProdWidth-1:0]  prod;
  logic signed [ProdWidth-1:0]  prod2_q;
  logic signed [ScoreWidth-1:0] acc_q;
  logic [BAddrWidth-1:0]        bn_q;      // bias index = class of the stage-1 element
  logic [BAddrWidth-1:0]        cls_q;     // class of the next score push

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s1_first_q <= 1'b0;
      s1_last_q  <= 1'b0;
      s2_valid_q <= 1'b0;
      s2_first_q <= 1'b0;
      s2_last_q  <= 1'b0;
      s3_valid_q <= 1'b0;
      s3_first_q <= 1'b0;
      s3_last_q  <= 1'b0;
      s4_valid_q <= 1'b0;
      s4_first_q <= 1'b0;
      s4_last_q  <= 1'b0;
      s5_valid_q <= 1'b0;
      bn_q       <= '0;
      cls_q      <= '0;
    end else begin
      s1_valid_q <= issue;
      s1_first_q <= issue_first;
      s1_last_q  <= issue_last;
      s2_valid_q <= s1_valid_q;
      s2_first_q <= s1_first_q;
      s2_last_q  <= s1_last_q;
      s3_valid_q <= s2_valid_q;
      s3_first_q <= s2_first_q;
      s3_last_q  <= s2_last_q;
      s4_valid_q <= s3_valid_q;
      s4_first_q <= s3_first_q;
      s4_last_q  <= s3_last_q;
      s5_valid_q <= s4_valid_q & s4_last_q;
      if (start)          bn_q <= '0;
      else if (b_rd_en_o) bn_q <= bn_q + 1'b1;
      if (push) cls_q <= push_final ? '0 : cls_q + 1'b1;
    end
  end

  // Datapath registers (no reset): operand, multiplier, product, accumulator.
  sf_mul #(
    .AWidth   (PoolWidth),
    .BWidth   (WeightBits),
    .PWidth   (ProdWidth)
  ) u_mul (
    .clk_i,
    .in_en_i  (s1_valid_q),
    .a_i      (a_q),
    .b_i      (w_rd_data_i),
    .out_en_i (s2_valid_q),
    .p_o      (prod)
  );

  always_ff @(posedge clk_i) begin
    if (issue) a_q <= snap_q[0];
    if (s2_valid_q && s2_first_q) b_q <= $signed(b_rd_data_i);
    if (s3_valid_q) prod2_q <= signed'(prod);
    if (s3_valid_q && s3_first_q) b2_q <= b_q;
    if (s4_valid_q) begin
      acc_q <= (s4_first_q ? ScoreWidth'(b2_q) : acc_q) + ScoreWidth'(prod2_q);
    end
  end

  assign b_rd_en_o   = s1_valid_q & s1_first_q;
  assign b_rd_bank_o = eng_bank_q;
  assign b_rd_addr_o = bn_q;

  // ---------------------------------------------------------------------------------
  // Scores: output FIFO, staging shift register, scores_o
  // ---------------------------------------------------------------------------------
  logic                              fifo_in_ready;
  logic [ScoreWidth+1:0]             fifo_out;
  logic [Classes*ScoreWidth-1:0]     work_q, work_d;
  logic [(Classes+1)*ScoreWidth-1:0] work_cat;
  logic [Classes*ScoreWidth-1:0]     scores_q;
  logic                              scores_valid_q;
  logic [FrameCountWidth-1:0]        frame_count_q;

  assign push       = s5_valid_q;
  assign push_final = push && (cls_q == BAddrWidth'(Classes - 1));

  sf_fifo #(
    .Width (ScoreWidth + 2),
    .Depth (FifoDepth)
  ) u_out_fifo (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid (push),
    .s_axis_tready (fifo_in_ready),   // always 1 on a push (credit check at start)
    .s_axis_tdata  ({push_final, cls_q == '0, acc_q}),
    .m_axis_tvalid,
    .m_axis_tready,
    .m_axis_tdata  (fifo_out),
    .count_o       (fifo_count)
  );

  assign m_axis_tdata = fifo_out[ScoreWidth-1:0];
  assign m_axis_tuser = fifo_out[ScoreWidth];
  assign m_axis_tlast = fifo_out[ScoreWidth+1];

  // Class n ends at [n*ScoreWidth +: ScoreWidth] after the last push: shift down.
  assign work_cat = {acc_q, work_q};
  assign work_d   = work_cat[(Classes+1)*ScoreWidth-1:ScoreWidth];

  always_ff @(posedge clk_i) begin
    if (push) work_q <= work_d;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scores_q       <= '0;
      scores_valid_q <= 1'b0;
      frame_count_q  <= '0;
    end else begin
      scores_valid_q <= push_final;
      if (push_final) begin
        scores_q      <= work_d;
        frame_count_q <= frame_count_q + 1'b1;
      end
    end
  end

  assign scores_o       = scores_q;
  assign scores_valid_o = scores_valid_q;
  assign frame_count_o  = frame_count_q;

  // The oldest staging entry is shifted out unused; the FIFO never refuses a push.
  logic unused;
  assign unused = ^{work_cat[ScoreWidth-1:0], fifo_in_ready};

endmodule
