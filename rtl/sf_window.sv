// SemifreddoNets-HW: sliding-window generator of a convolution layer.
//
// Input:  pixel stream (s_axis_*), tdata = Channels x DataWidth, channel c at
//         [c*DataWidth +: DataWidth]; tuser = first pixel of a frame, tlast = last
//         pixel of each row; raster order; frame is Width x Height.
// Output: window stream (m_axis_*), tdata = Kernel x Kernel x Channels x DataWidth,
//         tap t = (ky*Kernel + kx)*Channels + c at [t*DataWidth +: DataWidth]
//         (ky: row offset 0..K-1 top to bottom, kx: column offset left to right);
//         tuser = first output pixel of the output frame, tlast = last output pixel of
//         each output row.  Output frame is Wo x Ho = ceil(Width/Stride) x
//         ceil(Height/Stride).
//
// Semantics ("same" zero padding): output pixel (i, j) is the window centred at input
// (Stride*i, Stride*j); tap (ky, kx) is input (Stride*i+ky-P, Stride*j+kx-P),
// P = (Kernel-1)/2, or ZERO where that lies outside the frame.
//
// Scheme (Kernel = 3)
// -------------------
// The module treats the input as one endless raster of Width-pixel rows ("slots").
// Every slot shifts one column vector {row r-2, row r-1, row r} at column c into a
// 3-column window register: rows r-2 and r-1 come from ONE line-buffer RAM (Width
// words of 2 x Channels x DataWidth bits, i.e. Width x Channels x DataWidth per
// buffered row; one write + one registered read per cycle, simple dual-port) and row r
// is the slot's pixel; the RAM word at column c is then rewritten with {row r-1,
// row r}.  The window after slot s is therefore centred on slot s-(Width+1)
// of the same endless raster: the output of centre m is produced by slot
// m + Width + 1 (one row and one pixel of look-ahead).  The frame structure only enters
// through the position counters of the output centre (ctr_y, ctr_x): taps outside the frame
// (top/bottom row, left/right column) are masked to zero at the output, so
// whatever the window holds there (the previous frame's rows, the next frame's first
// row, the previous row's last pixels) never leaks out.  Stride 2 simply suppresses
// the output of odd centre rows and columns (those slots need no m_axis_tready).
//
// Frame boundaries, back to back: the last Width+1 centres of frame N are produced by
// the slots of the first Width+1 pixels of frame N+1 (their bottom row is masked), so
// a continuous input is accepted one pixel per clock with no bubbles, forever.
//
// Flush: when the input is at a frame boundary (all pixels of a frame accepted),
// centres are still pending, and s_axis_tvalid is LOW in a cycle in which the pipeline
// could advance, the module starts a flush: it issues "empty" slots on its own
// (s_axis_tready is held low meanwhile) until every pending centre has been issued,
// which takes exactly Width+1 slots (Width+1 clocks if m_axis_tready stays high).
// Afterwards the window restarts from scratch: the next frame's first Width+1 pixels
// produce no output (priming).  So a single idle cycle at a frame boundary costs
// Width+1 cycles of input stall; a frame that arrives during the flush waits for it.
// The last frame of a stream is always output completely, on its own: its last window
// is on m_axis at most Width+1+3 clocks after its last pixel was accepted (plus any
// m_axis_tready back-pressure).  An idle input in the middle of a frame just waits.
//
// Kernel = 1: no line buffer and no look-ahead; each accepted pixel (with stride
// decimation) goes straight to the output register.
//
// Flow control and latency
// ------------------------
// One global pipeline enable: adv = !m_axis_tvalid || m_axis_tready.  Everything moves
// only when adv is high, and s_axis_tready = adv && !flushing (Kernel = 3) or adv
// (Kernel = 1): the path m_axis_tready -> s_axis_tready is a single LUT.
// m_axis_tvalid/tdata/tuser/tlast are registered and held while m_axis_tready is low;
// m_axis_tready may be dropped at any time, nothing is lost or duplicated.
// Latency (with m_axis_tready high): Kernel = 1: a pixel accepted in cycle c is on
// m_axis (tvalid high) from cycle c+1.  Kernel = 3: the window of centre m is on
// m_axis from cycle c+3, where c is the cycle of slot m + Width + 1 (the cycle in which
// raster pixel m + Width + 1 was accepted, or a flush slot).  Pipeline: stage 0 issues the
// slot and the RAM read, stage 1 is the RAM read register, stage 2 re-registers it in
// the fabric and writes the RAM back, then the masked window goes into the output
// register.
//
// Timing note (ECP5): Yosys maps an inferred RAM to EBR without the EBR output register
// (REGMODE NOREG, ~5.8 ns clock-to-out in nextpnr's speed-6 model), so the EBR ->
// fabric-register path alone bounds Fmax to roughly 135-145 MHz on speed grade 6; the
// rest of the module closes at ~180 MHz (line buffer in distributed RAM).  The zero
// mask is a flag per tap registered beside the window and applied after the output
// register: folded into the wide output register it becomes a synchronous reset that,
// with the load enable, fans out from the flow control to every window bit (measured:
// the frozen block's critical path, under 100 MHz).  For the same reason the wide
// registers (stage-2 data, column registers, output register) take their load enables
// per PixWidth-bit group, each from its own copy of the valid flops: one load enable
// for the whole output register was the reference's critical path at 100 MHz (one LUT,
// then 11.5 ns of route to ~600 clock enables).
//
// Robustness: the module's own position counters are AUTHORITATIVE.  s_axis_tuser and
// s_axis_tlast are only checked: the sticky frame_err_o (cleared by reset only) is set
// when an accepted pixel's tuser differs from "first pixel of a frame" or its tlast
// differs from "last pixel of a row" per the counters.  Data keeps flowing according
// to the counters, so a wrong marker never changes the output framing.
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release it synchronously).  Only control
// state is reset; RAM, window and data registers are not.
module sf_window #(
  parameter int unsigned Width     = 16,  // input frame width in pixels
  parameter int unsigned Height    = 16,  // input frame height in pixels
  parameter int unsigned Channels  = 1,   // channels per pixel
  parameter int unsigned DataWidth = 8,   // bits per channel (B)
  parameter int unsigned Kernel    = 3,   // window size: 1 or 3
  parameter int unsigned Stride    = 1    // 1 or 2
) (
  input  logic                                            clk_i,
  input  logic                                            rst_ni,

  input  logic                                            s_axis_tvalid,
  output logic                                            s_axis_tready,
  input  logic [Channels*DataWidth-1:0]                   s_axis_tdata,
  input  logic                                            s_axis_tuser,
  input  logic                                            s_axis_tlast,

  output logic                                            m_axis_tvalid,
  input  logic                                            m_axis_tready,
  output logic [Kernel*Kernel*Channels*DataWidth-1:0]     m_axis_tdata,
  output logic                                            m_axis_tuser,
  output logic                                            m_axis_tlast,

  output logic                                            frame_err_o
);

  localparam int unsigned PixWidth = Channels * DataWidth;
  localparam int unsigned NumTaps  = Kernel * Kernel;
  localparam int unsigned WinWidth = NumTaps * PixWidth;
  localparam int unsigned XWidth   = (Width  > 1) ? $clog2(Width)  : 1;
  localparam int unsigned YWidth   = (Height > 1) ? $clog2(Height) : 1;
  localparam logic [XWidth-1:0] LastX    = XWidth'(Width - 1);
  localparam logic [YWidth-1:0] LastY    = YWidth'(Height - 1);
  localparam logic [XWidth-1:0] LastX1   = XWidth'(Width - 2);   // Width >= 2
  localparam logic [YWidth-1:0] LastY1   = YWidth'((Height > 1) ? Height - 2 : 0);
  // Last centre column that is output (stride 2 keeps even columns only).
  localparam logic [XWidth-1:0] LastOutX = XWidth'((Stride == 1) ? (Width - 1)
                                                                 : ((Width - 1) / 2) * 2);

  if (Kernel != 1 && Kernel != 3) begin : gen_bad_kernel
    $fatal(1, "sf_window: Kernel must be 1 or 3, got %0d", Kernel);
  end
  if (Stride != 1 && Stride != 2) begin : gen_bad_stride
    $fatal(1, "sf_window: Stride must be 1 or 2, got %0d", Stride);
  end
  if (Width < 2 || Height < 1 || Channels < 1 || DataWidth < 1) begin : gen_bad_size
    $fatal(1, "sf_window: need Width >= 2, Height, Channels, DataWidth >= 1");
  end

  // ---------------------------------------------------------------------------------
  // Global pipeline enable and output register.
  // ---------------------------------------------------------------------------------
  logic                adv;
  logic                out_valid_d, out_valid_q;
  logic [NumTaps-1:0]  out_load;  // load tap t of the output register with a new window
  logic [WinWidth-1:0] out_data_d, out_data_q;
  logic [Kernel*Kernel-1:0] out_zero_d, out_zero_q;  // taps outside the frame
  logic                out_user_d, out_user_q;
  logic                out_last_d, out_last_q;

  assign adv = ~out_valid_q | m_axis_tready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_valid_q <= 1'b0;
    end else if (adv) begin
      out_valid_q <= out_valid_d;
    end
  end

  // One load enable per tap (all equal): each drives PixWidth flops, not the whole window.
  for (genvar t = 0; t < NumTaps; t++) begin : gen_out_tap
    always_ff @(posedge clk_i) begin
      if (out_load[t]) begin
        out_data_q[t*PixWidth +: PixWidth] <= out_data_d[t*PixWidth +: PixWidth];
        out_zero_q[t]                      <= out_zero_d[t];
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (out_load[0]) begin
      out_user_q <= out_user_d;
      out_last_q <= out_last_d;
    end
  end

  assign m_axis_tvalid = out_valid_q;
  for (genvar t = 0; t < Kernel * Kernel; t++) begin : gen_mask
    assign m_axis_tdata[t*PixWidth +: PixWidth] = out_zero_q[t] ? '0 : out_data_q[t*PixWidth +: PixWidth];
  end
  assign m_axis_tuser  = out_user_q;
  assign m_axis_tlast  = out_last_q;

  // ---------------------------------------------------------------------------------
  // Input position counters (authoritative) and marker check.
  // ---------------------------------------------------------------------------------
  logic              in_hs;
  logic [XWidth-1:0] in_x_d, in_x_q;
  logic [YWidth-1:0] in_y_d, in_y_q;
  // Registered position flags (keep the flow-control logic shallow).
  logic              in_sof_d, in_sof_q;        // next input pixel starts a frame
  logic              in_eol_d, in_eol_q;        // next input pixel ends a row
  logic              in_lastrow_d, in_lastrow_q; // next input pixel is in the last row
  logic              frame_err_d, frame_err_q;

  assign in_hs = s_axis_tvalid & s_axis_tready;

  always_comb begin
    in_x_d       = in_x_q;
    in_y_d       = in_y_q;
    in_sof_d     = in_sof_q;
    in_eol_d     = in_eol_q;
    in_lastrow_d = in_lastrow_q;
    if (in_hs) begin
      in_sof_d = in_eol_q & in_lastrow_q;
      if (in_eol_q) begin
        in_x_d       = '0;
        in_eol_d     = 1'b0;  // Width >= 2
        in_y_d       = in_lastrow_q ? '0 : in_y_q + 1'b1;
        in_lastrow_d = (Height == 1) ? 1'b1 : (!in_lastrow_q && in_y_q == LastY1);
      end else begin
        in_x_d   = in_x_q + 1'b1;
        in_eol_d = (in_x_q == LastX1);
      end
    end
  end

  assign frame_err_d = frame_err_q |
                       (in_hs & ((s_axis_tuser != in_sof_q) | (s_axis_tlast != in_eol_q)));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_x_q       <= '0;
      in_y_q       <= '0;
      in_sof_q     <= 1'b1;
      in_eol_q     <= 1'b0;
      in_lastrow_q <= (Height == 1);
      frame_err_q  <= 1'b0;
    end else begin
      in_x_q       <= in_x_d;
      in_y_q       <= in_y_d;
      in_sof_q     <= in_sof_d;
      in_eol_q     <= in_eol_d;
      in_lastrow_q <= in_lastrow_d;
      frame_err_q  <= frame_err_d;
    end
  end

  assign frame_err_o = frame_err_q;

  if (Kernel == 1) begin : gen_k1
    // -------------------------------------------------------------------------------
    // 1x1: the window is the pixel; decimate for stride 2.
    // -------------------------------------------------------------------------------
    logic keep;

    assign keep = (Stride == 1) | (~in_x_q[0] & ~in_y_q[0]);

    assign s_axis_tready = adv;
    assign out_valid_d   = in_hs & keep;
    assign out_load      = in_hs & keep;   // Kernel*Kernel = 1
    assign out_data_d    = s_axis_tdata;
    assign out_zero_d    = 1'b0;
    assign out_user_d    = in_sof_q;
    assign out_last_d    = (in_x_q == LastOutX);

  end else begin : gen_k3
    // -------------------------------------------------------------------------------
    // 3x3: slot issue + RAM read (stage 0), RAM read register (stage 1), column vector
    // in fabric registers + RAM write-back (stage 2), output register.
    // -------------------------------------------------------------------------------
    localparam int unsigned LeadWidth = $clog2(Width + 1);  // 0..Width
    localparam int unsigned PendWidth = $clog2(Width + 2);  // 0..Width+1
    localparam logic [LeadWidth-1:0] LeadLast = LeadWidth'(Width);
    localparam logic [PendWidth-1:0] PendOne  = PendWidth'(1);

    // Stage 0: slot bookkeeping.
    logic                 flushing_d, flushing_q;  // issuing flush slots
    logic                 primed_d, primed_q;      // Width+1 slots issued since (re)start
    logic [LeadWidth-1:0] lead_d, lead_q;          // slots issued while priming
    logic [PendWidth-1:0] pend_d, pend_q;          // accepted pixels without an output slot
    logic                 pend_nz_d, pend_nz_q;    // pend != 0
    logic [XWidth-1:0]    slot_x_d, slot_x_q;      // column of the next slot (RAM address)
    logic [XWidth-1:0]    ctr_x_d, ctr_x_q;        // centre of the next primed slot
    logic [YWidth-1:0]    ctr_y_d, ctr_y_q;
    logic                 flush_slot, slot, flush_end;

    assign s_axis_tready = adv & ~flushing_q;

    // A flush slot: continuing a flush, or starting one at a frame boundary with
    // centres pending and no input offered.  Never in the same cycle as in_hs.
    assign flush_slot = adv & (flushing_q | (~s_axis_tvalid & in_sof_q & pend_nz_q));
    assign slot       = in_hs | flush_slot;
    // This flush slot outputs the last pending centre.
    assign flush_end  = flush_slot & primed_q & (pend_q == PendOne);

    always_comb begin
      flushing_d = flushing_q;
      primed_d   = primed_q;
      lead_d     = lead_q;
      pend_d     = pend_q;
      pend_nz_d  = pend_nz_q | in_hs;  // pend only returns to 0 at flush_end
      slot_x_d   = slot_x_q;
      ctr_x_d    = ctr_x_q;
      ctr_y_d    = ctr_y_q;
      if (slot) begin
        slot_x_d = (slot_x_q == LastX) ? '0 : slot_x_q + 1'b1;
        if (primed_q) begin
          // This slot outputs centre (ctr_y, ctr_x); step the centre in raster order.
          if (ctr_x_q == LastX) begin
            ctr_x_d = '0;
            ctr_y_d = (ctr_y_q == LastY) ? '0 : ctr_y_q + 1'b1;
          end else begin
            ctr_x_d = ctr_x_q + 1'b1;
          end
          if (!in_hs) begin
            pend_d = pend_q - 1'b1;
          end
        end else begin
          lead_d   = lead_q + 1'b1;
          primed_d = (lead_q == LeadLast);
          if (in_hs) begin
            pend_d = pend_q + 1'b1;
          end
        end
        if (flush_slot) begin
          flushing_d = 1'b1;
        end
        if (flush_end) begin
          // All pending centres issued: restart from scratch (centre is at (0, 0)).
          flushing_d = 1'b0;
          pend_nz_d  = 1'b0;
          primed_d   = 1'b0;
          lead_d     = '0;
          slot_x_d   = '0;
        end
      end
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        flushing_q <= 1'b0;
        primed_q   <= 1'b0;
        lead_q     <= '0;
        pend_q     <= '0;
        pend_nz_q  <= 1'b0;
        slot_x_q   <= '0;
        ctr_x_q    <= '0;
        ctr_y_q    <= '0;
      end else begin
        flushing_q <= flushing_d;
        primed_q   <= primed_d;
        lead_q     <= lead_d;
        pend_q     <= pend_d;
        pend_nz_q  <= pend_nz_d;
        slot_x_q   <= slot_x_d;
        ctr_x_q    <= ctr_x_d;
        ctr_y_q    <= ctr_y_d;
      end
    end

    // Stages 1 and 2: the slot's pixel, column and centre info travel alongside the
    // line-buffer read; stage 2 re-registers the RAM output in the fabric (EBR
    // clock-to-out is slow) and writes the updated word back.
    logic                valid1_q, valid2_q;
    logic [XWidth-1:0]   addr1_q, addr2_q;
    logic                emit1_q, user1_q, last1_q, top1_q, bot1_q, left1_q, right1_q;
    logic                emit2_q, user2_q, last2_q, top2_q, bot2_q, left2_q, right2_q;
    logic [PixWidth-1:0] pix1_q, pix2_q;
    logic                step1, step2;  // the stage-1 / stage-2 slot moves on

    assign step1 = valid1_q & adv;
    assign step2 = valid2_q & adv;

    // Copies of the stage-1/2 valid bits and of the output valid, for the load enables
    // of the wide registers (timing: one enable per PixWidth flops, each from its own
    // flops, instead of one net to every window bit).  One flop per process with keep:
    // yosys merges equal flops otherwise.
    //   vc_q[r]      = valid1_q, r 0..2 -> stage-2 row r data (0: pix2, 1/2: lb halves)
    //   vc_q[3 + g]  = valid2_q, g 0..5 -> column registers, group g = kx*3 + ky (kx 0, 1)
    //   arm_q[t]  = valid2_q & emit2_q, oval_q[t] = out_valid_q -> output tap t
    logic [8:0]         vc_d, vc_q;
    logic [2:0]         step1c;
    logic [5:0]         step2c;
    logic [NumTaps-1:0] arm_q, oval_q;

    assign vc_d = {{6{valid1_q}}, {3{slot}}};   // what valid2_q / valid1_q take

    for (genvar i = 0; i < 9; i++) begin : gen_vc
      (* keep *) always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni)  vc_q[i] <= 1'b0;
        else if (adv) vc_q[i] <= vc_d[i];
      end
    end
    for (genvar t = 0; t < NumTaps; t++) begin : gen_arm
      (* keep *) always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          arm_q[t]  <= 1'b0;
          oval_q[t] <= 1'b0;
        end else if (adv) begin
          arm_q[t]  <= valid1_q & emit1_q;
          oval_q[t] <= arm_q[t];
        end
      end
    end

    assign step1c   = vc_q[2:0] & {3{adv}};
    assign step2c   = vc_q[8:3] & {6{adv}};
    assign out_load = arm_q & (~oval_q | {NumTaps{m_axis_tready}});

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        valid1_q <= 1'b0;
        valid2_q <= 1'b0;
      end else if (adv) begin
        valid1_q <= slot;
        valid2_q <= valid1_q;
      end
    end

    // Stage-1 data loads on every advance, not only on a slot: without a slot valid1_q
    // drops and the values are never used.  So its clock enable is adv alone (two flops
    // and a LUT), not s_axis_tvalid from the producer (timing: a trainable block's input
    // valid, 4.6 ns of route, then two LUTs and 4.9 ns of route to these enables, was a
    // build's critical path).
    always_ff @(posedge clk_i) begin
      if (adv) begin
        // A flush slot's pixel is never visible (it is always a masked bottom row).
        pix1_q   <= s_axis_tdata;
        addr1_q  <= slot_x_q;
        emit1_q  <= primed_q & ((Stride == 1) | (~ctr_x_q[0] & ~ctr_y_q[0]));
        user1_q  <= (ctr_x_q == '0) & (ctr_y_q == '0);
        last1_q  <= (ctr_x_q == LastOutX);
        top1_q   <= (ctr_y_q == '0);
        bot1_q   <= (ctr_y_q == LastY);
        left1_q  <= (ctr_x_q == '0);
        right1_q <= (ctr_x_q == LastX);
      end
    end

    always_ff @(posedge clk_i) begin
      if (step1c[0]) begin
        pix2_q   <= pix1_q;
      end
      if (step1) begin
        addr2_q  <= addr1_q;
        emit2_q  <= emit1_q;
        user2_q  <= user1_q;
        last2_q  <= last1_q;
        top2_q   <= top1_q;
        bot2_q   <= bot1_q;
        left2_q  <= left1_q;
        right2_q <= right1_q;
      end
    end

    // Line buffer: one simple dual-port RAM of Width words, word[PixWidth-1:0] = row
    // r-1, word[2*PixWidth-1:PixWidth] = row r-2 at that column.  Read (registered) in
    // stage 0, captured in the fabric in stage 1 -> 2, written back in stage 2 as
    // {row r-1, row r}.  The next read of the same column belongs to the slot Width
    // slots later; with Width >= 3 that slot can only issue after the write-back (at
    // most two older slots are in flight), so reads never collide with writes.  With
    // Width == 2 the read may coincide with the write-back: forward the write data.
    // no_rw_check: tells Yosys that the RAM's own read-during-write result is never
    // used, so it maps to a plain EBR without soft collision logic on the read path.
    (* no_rw_check *)
    logic [2*PixWidth-1:0] lb_mem_q [Width];
    logic [2*PixWidth-1:0] lb_rd_q;    // stage 1: RAM read register
    logic [2*PixWidth-1:0] lb_q;       // stage 2: fabric copy
    logic [2*PixWidth-1:0] lb_wdata;

    assign lb_wdata = {lb_q[PixWidth-1:0], pix2_q};

    always_ff @(posedge clk_i) begin
      if (step2) begin
        lb_mem_q[addr2_q] <= lb_wdata;
      end
    end

    if (Width >= 3) begin : gen_lb_read
      always_ff @(posedge clk_i) begin
        if (slot) begin
          lb_rd_q <= lb_mem_q[slot_x_q];
        end
      end
    end else begin : gen_lb_read_fwd
      always_ff @(posedge clk_i) begin
        if (slot) begin
          lb_rd_q <= (step2 && addr2_q == slot_x_q) ? lb_wdata : lb_mem_q[slot_x_q];
        end
      end
    end

    for (genvar r = 0; r < 2; r++) begin : gen_lb_row
      always_ff @(posedge clk_i) begin
        if (step1c[1 + r]) begin
          lb_q[r*PixWidth +: PixWidth] <= lb_rd_q[r*PixWidth +: PixWidth];
        end
      end
    end

    // Window: col0 (left, oldest), col1, col2 (right) = this slot's column vector.
    // Row ky of a column is at [ky*PixWidth +: PixWidth]: ky = 0 top (row r-2),
    // 1 = row r-1, 2 = bottom (row r).
    logic [3*PixWidth-1:0] col0_q, col1_q, col2;

    assign col2 = {pix2_q, lb_q[PixWidth-1:0], lb_q[2*PixWidth-1:PixWidth]};

    for (genvar ky = 0; ky < 3; ky++) begin : gen_col_row
      always_ff @(posedge clk_i) begin
        if (step2c[ky]) begin
          col0_q[ky*PixWidth +: PixWidth] <= col1_q[ky*PixWidth +: PixWidth];
        end
        if (step2c[3 + ky]) begin
          col1_q[ky*PixWidth +: PixWidth] <= col2[ky*PixWidth +: PixWidth];
        end
      end
    end

    // Masked window into the output register.
    for (genvar ky = 0; ky < 3; ky++) begin : gen_ky
      for (genvar kx = 0; kx < 3; kx++) begin : gen_kx
        logic                zero;
        logic [PixWidth-1:0] tap;
        assign zero = ((ky == 0) & top2_q)  | ((ky == 2) & bot2_q) |
                      ((kx == 0) & left2_q) | ((kx == 2) & right2_q);
        assign tap  = (kx == 0) ? col0_q[ky*PixWidth +: PixWidth] :
                      (kx == 1) ? col1_q[ky*PixWidth +: PixWidth] :
                                  col2[ky*PixWidth +: PixWidth];
        assign out_data_d[(ky*3 + kx)*PixWidth +: PixWidth] = tap;
        assign out_zero_d[ky*3 + kx] = zero;
      end
    end

    assign out_valid_d = valid2_q & emit2_q;
    assign out_user_d  = user2_q;
    assign out_last_d  = last2_q;
  end

endmodule
