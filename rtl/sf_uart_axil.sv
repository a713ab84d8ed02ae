// SemifreddoNets-HW: host-link bridge: framed command protocol on byte streams <-> AXI4-Lite
// master.  The protocol (frame layouts, CRC, NAK codes, sequencing, timeouts, limits) is
// specified in docs/host-protocol.md; gen/semifreddo/hostlink/protocol.py is the host
// codec.  In short:
//
//   request  (s_axis): 5A | SEQ | CMD | LEN | payload | CRC_HI | CRC_LO
//   response (m_axis): A5 | SEQ | CODE | ARG | payload | CRC_HI | CRC_LO
//   CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, xorout 0) over every
//   byte from the sync byte to the end of the payload, sent MSB first; the receiver runs
//   the CRC over the CRC bytes too and checks for a zero residue.
//   CMD 01 WRITE: payload ADDR[4, LE] + (LEN+1) words [LE]   -> ACK (CODE 01, ARG LEN)
//   CMD 02 READ:  payload ADDR[4, LE]                         -> ACK (CODE 02, ARG LEN)
//                                                               + (LEN+1) words
//   CMD 03 STATUS: LEN 0, no payload                          -> ACK (CODE 03) + 16 B
//   NAK: CODE 0x80 | reason (81 CRC, 82 BAD_CMD, 83 BAD_LEN, 84 BAD_ADDR, 85 BUS_SLVERR,
//        86 BUS_DECERR, 87 BUS_TIMEOUT, 88 FRAME_TIMEOUT, 89 LINE_ERROR, 8A NO_SYNC),
//        no payload.
//
// Behaviour
// ---------
//   * Every request that gets past its sync byte is answered exactly once, ACK or NAK.
//   * Input outside a frame that is not 5A (bytes, and line-error markers) is discarded
//     and counted (status DROPPED).  If the input then stays idle for TimeoutCycles, an
//     unsolicited NAK NO_SYNC (SEQ 0, ARG = items discarded, saturating at 255) is sent,
//     so even a request whose sync byte was destroyed gets an answer.  A 5A arriving
//     before that cancels it (garbage directly followed by a request is not reported).
//   * A write is buffered completely (MaxWords x 32-bit inferred RAM) and its CRC and
//     address range are checked BEFORE the first AXI write: a corrupted request never
//     writes anything.  The AXI writes then go out one at a time (AW and W together,
//     wait for B), incrementing the address by 4; the first error response stops the
//     burst (words before it are written) and is NAKed with ARG = its word index.
//   * A read performs all AXI reads into the same buffer first and answers ACK + data
//     only if every read was OKAY, otherwise NAK (ARG = failing word index).
//   * Header errors (unknown CMD, LEN too large, STATUS with LEN != 0) are NAKed as
//     soon as the offending byte arrives; the receiver then hunts for the next 5A.
//   * Frame timeout: if the bridge waits for the next byte of a started frame for
//     TimeoutCycles clocks, it answers NAK FRAME_TIMEOUT and hunts for a new 5A.
//   * s_axis_tuser = 1 marks a receiver line error (UART frame error / break, from
//     sf_hostlink); tdata is ignored.  Inside a frame it aborts the frame with NAK
//     LINE_ERROR (nothing is written); between frames it counts as discarded input.
//   * NAK ARG: bus errors: failing word index; FRAME_TIMEOUT / LINE_ERROR: number of
//     frame bytes received so far (saturating at 255; SEQ is valid only if >= 2, else 0).
//   * AXI timeout: if a write/read handshake or response does not complete within
//     AxiTimeoutCycles clocks, NAK BUS_TIMEOUT is sent; as AXI forbids withdrawing a
//     valid, the bridge then waits (however long it takes) for the outstanding
//     handshakes/response, discards them, and only then accepts the next request.
//   * Only one request is processed at a time; while a request executes or its response
//     is being emitted the input stalls (one byte waits in the input register, then
//     s_axis_tready = 0), so the byte source in front (sf_hostlink: a FIFO) must absorb
//     what the host sends meanwhile.
//
// Status payload (16 bytes): VERSION (1), LAST_NAK, MAX_LEN (MaxWords-1), ADDR_WIDTH,
// ACKS u32, NAKS u32, DROPPED u32 (little-endian; counts before this response).
//
// Reset: rst_ni active-low asynchronous.
module sf_uart_axil #(
  parameter int unsigned AddrWidth        = 32,      // 2 .. 32
  parameter int unsigned MaxWords         = 256,     // words per request, 2 .. 256
  parameter int unsigned TimeoutCycles    = 10_240,  // frame inter-byte timeout, clocks
  parameter int unsigned AxiTimeoutCycles = 4_096    // per AXI transfer, clocks
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  // request bytes
  input  logic [7:0]           s_axis_tdata,
  input  logic                 s_axis_tuser,     // 1: line error marker, not a byte
  input  logic                 s_axis_tvalid,
  output logic                 s_axis_tready,

  // response bytes
  output logic [7:0]           m_axis_tdata,
  output logic                 m_axis_tvalid,
  input  logic                 m_axis_tready,

  // AXI4-Lite master
  output logic [AddrWidth-1:0] m_axil_awaddr,
  output logic [2:0]           m_axil_awprot,
  output logic                 m_axil_awvalid,
  input  logic                 m_axil_awready,
  output logic [31:0]          m_axil_wdata,
  output logic [3:0]           m_axil_wstrb,
  output logic                 m_axil_wvalid,
  input  logic                 m_axil_wready,
  input  logic [1:0]           m_axil_bresp,
  input  logic                 m_axil_bvalid,
  output logic                 m_axil_bready,
  output logic [AddrWidth-1:0] m_axil_araddr,
  output logic [2:0]           m_axil_arprot,
  output logic                 m_axil_arvalid,
  input  logic                 m_axil_arready,
  input  logic [31:0]          m_axil_rdata,
  input  logic [1:0]           m_axil_rresp,
  input  logic                 m_axil_rvalid,
  output logic                 m_axil_rready
);

  if (AddrWidth < 2 || AddrWidth > 32) begin : gen_bad_addr_width
    $fatal(1, "sf_uart_axil: AddrWidth must be 2..32, got %0d", AddrWidth);
  end
  if (MaxWords < 2 || MaxWords > 256) begin : gen_bad_max_words
    $fatal(1, "sf_uart_axil: MaxWords must be 2..256, got %0d", MaxWords);
  end
  if (TimeoutCycles < 2 || AxiTimeoutCycles < 2) begin : gen_bad_timeout
    $fatal(1, "sf_uart_axil: timeouts must be >= 2 clocks");
  end

  // ---------------------------------------------------------------------------------
  // Protocol constants (docs/host-protocol.md)
  // ---------------------------------------------------------------------------------
  localparam logic [7:0] ReqSync   = 8'h5A;
  localparam logic [7:0] RspSync   = 8'hA5;
  localparam logic [7:0] Version   = 8'h01;
  localparam logic [7:0] CmdWrite  = 8'h01;
  localparam logic [7:0] CmdRead   = 8'h02;
  localparam logic [7:0] CmdStatus = 8'h03;
  localparam logic [7:0] NakCrc          = 8'h81;
  localparam logic [7:0] NakBadCmd       = 8'h82;
  localparam logic [7:0] NakBadLen       = 8'h83;
  localparam logic [7:0] NakBadAddr      = 8'h84;
  localparam logic [7:0] NakBusSlverr    = 8'h85;
  localparam logic [7:0] NakBusDecerr    = 8'h86;
  localparam logic [7:0] NakBusTimeout   = 8'h87;
  localparam logic [7:0] NakFrameTimeout = 8'h88;
  localparam logic [7:0] NakLineError    = 8'h89;
  localparam logic [7:0] NakNoSync       = 8'h8A;

  localparam logic [7:0]  MaxLen  = 8'(MaxWords - 1);
  localparam int unsigned BufAw   = $clog2(MaxWords);
  localparam int unsigned TmoW    = $clog2(TimeoutCycles + 1);
  localparam int unsigned AxiTmoW = $clog2(AxiTimeoutCycles + 1);
  localparam logic [TmoW-1:0]    TmoLimit    = TmoW'(TimeoutCycles);
  localparam logic [AxiTmoW-1:0] AxiTmoLimit = AxiTmoW'(AxiTimeoutCycles);

  function automatic logic [15:0] crc16_byte(logic [15:0] crc, logic [7:0] b);
    crc = crc ^ {b, 8'h00};
    for (int i = 0; i < 8; i++) begin
      crc = crc[15] ? ((crc << 1) ^ 16'h1021) : (crc << 1);
    end
    return crc;
  endfunction

  typedef enum logic [3:0] {
    StSync, StSeq, StCmd, StLen, StAddr, StData, StCrc, StExec,
    StWrLoad, StWrIssue, StWrWait, StRdIssue, StRdWait, StRspInit, StResp, StDrain
  } state_e;

  typedef enum logic [1:0] { PayNone, PayRead, PayStatus } payload_e;

  // ---------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------
  // one-hot (timing): yosys' FSM recoding would keep the binary code here; one flop per
  // state keeps every state decode a single flop out of the next-state logic
  state_e               state_d;
  (* fsm_encoding = "one-hot" *)
  state_e               state_q;
  logic [7:0]           seq_d, seq_q;
  logic                 cmd_wr_d, cmd_wr_q;    // CMD decoded: WRITE, STATUS (else READ)
  logic                 cmd_st_d, cmd_st_q;
  logic [7:0]           len_d, len_q;
  logic [31:0]          addr_d, addr_q;
  logic [1:0]           cnt_d, cnt_q;          // byte within address / word / CRC
  logic [8:0]           word_d, word_q;        // word index
  logic [23:0]          wacc_d, wacc_q;        // first 3 bytes of the word being received
  logic [15:0]          crc_d, crc_q;
  logic [7:0]           fbytes_d, fbytes_q;    // bytes of the current frame (saturating)
  logic [TmoW-1:0]      tmo_d, tmo_q;
  logic [AxiTmoW-1:0]   axi_tmo_d, axi_tmo_q;

  logic [7:0]           rsp_code_d, rsp_code_q;
  logic [7:0]           rsp_arg_d, rsp_arg_q;
  payload_e             rsp_pay_d, rsp_pay_q;
  logic [10:0]          rsp_idx_d, rsp_idx_q;

  logic                 out_valid_d, out_valid_q;
  logic [7:0]           out_data_d, out_data_q;

  logic                 awvalid_d, awvalid_q;
  logic                 wvalid_d, wvalid_q;
  logic                 bpend_d, bpend_q;
  logic                 arvalid_d, arvalid_q;
  logic                 rpend_d, rpend_q;
  // Timing: B and R responses are registered before the state machine looks at them
  // (the interconnect's response mux would otherwise sit in front of its whole decode).
  logic                 bvalid_q, rvalid_q;
  logic [1:0]           bresp_q, rresp_q;
  logic [31:0]          rdata_q;
  logic [31:0]          axaddr_d, axaddr_q;
  logic [31:0]          wdata_d, wdata_q;

  logic [31:0]          acks_d, acks_q;
  logic [31:0]          naks_d, naks_q;
  logic [31:0]          dropped_d, dropped_q;
  logic [7:0]           last_nak_d, last_nak_q;
  logic                 garbage_d, garbage_q;  // input discarded since the last frame
  logic [7:0]           gcount_d, gcount_q;

  // payload buffer: one write port, one registered read port (EBR / LUT RAM).
  // no_rw_check: a word read in a clock that writes the buffer (StData, StRdWait) is never
  // used (word_q moves and is read again first), so Yosys needs no soft collision logic
  // on the RAM read path.
  (* no_rw_check *)
  logic [31:0]          buf_mem [MaxWords];
  logic                 buf_we;
  logic [BufAw-1:0]     buf_waddr, buf_raddr;
  logic [31:0]          buf_wdata, buf_rdata_q;
  // Timing: the read address is the flop word_q (not the state machine's word_d), and the
  // response side registers the RAM word once more (an EBR's clock-to-output is too slow
  // to feed the byte mux and the CRC in the same cycle).  So a word reaches buf_word_q two
  // clocks after word_q moves.  The response byte is chosen in two registered stages
  // before it reaches the CRC and the output: stage 1 (sel_*_q but sel_byte_q) decodes
  // rsp_idx_q (header / payload / CRC, index compares) and picks the bytes that are fixed
  // for the whole response (header, status); stage 2 (sel_byte_q) adds the read word's
  // byte and the CRC bytes.  So a response byte goes out at most every fourth clock
  // (rsp_gap), and a write issue waits two clocks (StWrLoad).  The UART needs ~170 clocks
  // a byte, so neither costs throughput.
  logic [31:0]          buf_word_q;
  logic [7:0]           sel_fix_q, sel_byte_q;
  logic                 sel_rd_q, sel_in_crc_q, sel_last_q, sel_word_end_q;
  logic [1:0]           rsp_gap_d, rsp_gap_q;

  // ---------------------------------------------------------------------------------
  // Combinational helpers
  // ---------------------------------------------------------------------------------
  logic        receiving, in_fire, b_fire, r_fire, out_free, axi_busy;
  logic [7:0]  in_byte;
  logic        in_valid_q, in_user_q;   // input holding register
  logic [7:0]  in_data_q;
  // compares of the held byte, made as it enters (timing): == ReqSync, a known CMD, == 0,
  // LEN + 1 > MaxWords
  logic        in_sync_q, in_cmd_ok_q, in_zero_q, in_too_long_q;
  logic [32:0] end_addr;
  logic        addr_ok;
  // Registered compares (timing): tmo_hit_q == (tmo_q == TmoLimit) and axi_tmo_hit_q ==
  // (axi_tmo_q == AxiTmoLimit) exactly, compared on the _d side; addr_ok_q is addr_ok of
  // the previous clock, read only in StExec, when ADDR and LEN have been still for a while;
  // word_last_q is (word_q == LEN) of the previous clock, read only at the last byte of a
  // received word and on a B / R response, each at least two clocks after word_q moved;
  // crc_ok_q is the residue check of the CRC updated with the held byte, of the previous
  // clock: in StExec, that of the last CRC byte (crc_q == 0).
  logic        tmo_hit_q, axi_tmo_hit_q, addr_ok_q, word_last_q, crc_ok_q;
  logic [8:0]  pay_words, pay_words_q;
  logic [127:0] status_vec, status_rot;
  logic [7:0]  out_fix;
  logic        out_rd, out_last, out_in_crc;

  assign receiving = state_q inside {StSync, StSeq, StCmd, StLen, StAddr, StData, StCrc};
  assign in_fire   = in_valid_q && receiving;
  assign in_byte   = in_data_q;
  assign b_fire    = bvalid_q;   // a registered response: consumed in this clock
  assign r_fire    = rvalid_q;
  assign out_free  = !out_valid_q || m_axis_tready;
  assign axi_busy  = awvalid_q || wvalid_q || bpend_q || arvalid_q || rpend_q;

  // last word address + 4 must not pass 2**AddrWidth; ADDR 4-aligned
  assign end_addr = {1'b0, addr_q} + {22'd0, 9'(len_q) + 9'd1, 2'b00};
  assign addr_ok  = (addr_q[1:0] == 2'b00) && (end_addr <= (33'd1 << AddrWidth));

  // response byte rsp_idx_q, stage 1: header bytes 0..3 (response word 0), payload words
  // 1..pay_words, then CRC_HI, CRC_LO.  pay_words_q is pay_words of the previous clock
  // (rsp_pay_q and len_q are still during a response; byte 0 does not look at it).
  // Status byte k is response byte 4 + k: status_rot byte i is status byte (i - 4) mod 16.
  assign pay_words  = (rsp_pay_q == PayRead)   ? 9'(len_q) + 9'd1 :
                      (rsp_pay_q == PayStatus) ? 9'd4 : 9'd0;
  assign status_vec = {dropped_q, naks_q, acks_q, 8'(AddrWidth), MaxLen, last_nak_q, Version};
  assign status_rot = {status_vec[95:0], status_vec[127:96]};

  always_comb begin
    out_fix    = status_rot[8*rsp_idx_q[3:0] +: 8];
    out_rd     = 1'b0;
    out_in_crc = 1'b0;
    out_last   = 1'b0;
    if (rsp_idx_q[10:2] == 9'd0) begin
      unique case (rsp_idx_q[1:0])
        2'd0:    out_fix = RspSync;
        2'd1:    out_fix = seq_q;
        2'd2:    out_fix = rsp_code_q;
        default: out_fix = rsp_arg_q;
      endcase
    end else if (rsp_idx_q[10:2] <= pay_words_q) begin
      out_rd = rsp_pay_q == PayRead;
    end else begin
      out_in_crc = 1'b1;
      out_last   = rsp_idx_q[1:0] != 2'd0;
    end
  end

  // ---------------------------------------------------------------------------------
  // Main state machine
  // ---------------------------------------------------------------------------------
  always_comb begin
    state_d     = state_q;
    seq_d       = seq_q;
    cmd_wr_d    = cmd_wr_q;
    cmd_st_d    = cmd_st_q;
    len_d       = len_q;
    addr_d      = addr_q;
    cnt_d       = cnt_q;
    word_d      = word_q;
    wacc_d      = wacc_q;
    crc_d       = crc_q;
    fbytes_d    = fbytes_q;
    tmo_d       = tmo_q;
    axi_tmo_d   = axi_tmo_q;
    rsp_code_d  = rsp_code_q;
    rsp_arg_d   = rsp_arg_q;
    rsp_pay_d   = rsp_pay_q;
    rsp_idx_d   = (state_q == StResp) ? rsp_idx_q : '0;  // 0 in StRspInit: sel_*_q valid in StResp
    rsp_gap_d   = (rsp_gap_q != 2'd0) ? rsp_gap_q - 2'd1 : 2'd0;
    out_valid_d = out_valid_q && !m_axis_tready;
    out_data_d  = out_data_q;
    awvalid_d   = awvalid_q && !m_axil_awready;
    wvalid_d    = wvalid_q && !m_axil_wready;
    bpend_d     = bpend_q && !bvalid_q;
    arvalid_d   = arvalid_q && !m_axil_arready;
    rpend_d     = rpend_q && !rvalid_q;
    axaddr_d    = axaddr_q;
    wdata_d     = wdata_q;
    acks_d      = acks_q;
    naks_d      = naks_q;
    dropped_d   = dropped_q;
    last_nak_d  = last_nak_q;
    garbage_d   = garbage_q;
    gcount_d    = gcount_q;
    buf_we      = 1'b0;
    buf_wdata   = {in_byte, wacc_q};

    // frame timeout: clocks spent waiting for the next byte of a started frame, or
    // idle clocks after discarded input
    if ((receiving && state_q != StSync) || (state_q == StSync && garbage_q)) begin
      tmo_d = in_valid_q ? '0 : tmo_q + 1'b1;
    end else begin
      tmo_d = '0;
    end
    axi_tmo_d = (state_q inside {StWrWait, StRdWait}) ? axi_tmo_q + 1'b1 : '0;

    unique case (state_q)
      StSync: begin
        if (in_fire && !in_user_q && in_sync_q) begin
          state_d   = StSeq;
          crc_d     = crc16_byte(16'hFFFF, in_byte);
          fbytes_d  = 8'd1;
          seq_d     = 8'd0;
          garbage_d = 1'b0;
          gcount_d  = 8'd0;
        end else if (in_fire) begin
          dropped_d = dropped_q + 32'd1;
          garbage_d = 1'b1;
          gcount_d  = (gcount_q == 8'hFF) ? gcount_q : gcount_q + 8'd1;
        end else if (garbage_q && tmo_hit_q) begin
          state_d    = StRspInit;
          seq_d      = 8'd0;
          rsp_code_d = NakNoSync;
          rsp_arg_d  = gcount_q;
          rsp_pay_d  = PayNone;
          garbage_d  = 1'b0;
          gcount_d   = 8'd0;
        end
      end

      StSeq, StCmd, StLen, StAddr, StData, StCrc: begin
        if (in_fire && in_user_q) begin
          state_d    = StRspInit;
          rsp_code_d = NakLineError;
          rsp_arg_d  = fbytes_q;
          rsp_pay_d  = PayNone;
        end else if (in_fire) begin
          crc_d    = crc16_byte(crc_q, in_byte);
          fbytes_d = (fbytes_q == 8'hFF) ? fbytes_q : fbytes_q + 8'd1;
          unique case (state_q)
            StSeq: begin
              seq_d   = in_byte;
              state_d = StCmd;
            end
            StCmd: begin
              cmd_wr_d = in_byte == CmdWrite;
              cmd_st_d = in_byte == CmdStatus;
              if (in_cmd_ok_q) begin
                state_d = StLen;
              end else begin
                state_d    = StRspInit;
                rsp_code_d = NakBadCmd;
                rsp_arg_d  = 8'd0;
                rsp_pay_d  = PayNone;
              end
            end
            StLen: begin
              len_d = in_byte;
              cnt_d = 2'd0;
              if (cmd_st_q ? !in_zero_q : in_too_long_q) begin
                state_d    = StRspInit;
                rsp_code_d = NakBadLen;
                rsp_arg_d  = 8'd0;
                rsp_pay_d  = PayNone;
              end else begin
                state_d = cmd_st_q ? StCrc : StAddr;
              end
            end
            StAddr: begin
              addr_d = {in_byte, addr_q[31:8]};
              cnt_d  = cnt_q + 2'd1;
              if (cnt_q == 2'd3) begin
                state_d = cmd_wr_q ? StData : StCrc;
                word_d  = '0;
              end
            end
            StData: begin
              wacc_d = {in_byte, wacc_q[23:8]};
              cnt_d  = cnt_q + 2'd1;
              if (cnt_q == 2'd3) begin
                buf_we = 1'b1;
                word_d = word_q + 9'd1;
                if (word_last_q) state_d = StCrc;
              end
            end
            default: begin                                   // StCrc
              cnt_d = cnt_q + 2'd1;
              if (cnt_q == 2'd1) state_d = StExec;
            end
          endcase
        end else if (tmo_hit_q) begin
          state_d    = StRspInit;
          rsp_code_d = NakFrameTimeout;
          rsp_arg_d  = fbytes_q;
          rsp_pay_d  = PayNone;
        end
      end

      StExec: begin
        word_d    = '0;
        cnt_d     = 2'd0;
        rsp_arg_d = len_q;
        rsp_pay_d = PayNone;
        if (!crc_ok_q) begin
          state_d    = StRspInit;
          rsp_code_d = NakCrc;
          rsp_arg_d  = 8'd0;
        end else if (cmd_st_q) begin
          state_d    = StRspInit;
          rsp_code_d = CmdStatus;
          rsp_pay_d  = PayStatus;
        end else if (!addr_ok_q) begin
          state_d    = StRspInit;
          rsp_code_d = NakBadAddr;
          rsp_arg_d  = 8'd0;
        end else begin
          state_d = cmd_wr_q ? StWrLoad : StRdIssue;
        end
      end

      StWrLoad: begin
        // buf_raddr is word_q (a flop): the word reaches buf_rdata_q one clock later and
        // buf_word_q two (the RAM output feeds no logic, only that flop)
        cnt_d = cnt_q + 2'd1;
        if (cnt_q == 2'd1) state_d = StWrIssue;
      end

      StWrIssue: begin
        awvalid_d = 1'b1;
        wvalid_d  = 1'b1;
        bpend_d   = 1'b1;
        axaddr_d  = addr_q + {21'd0, word_q, 2'b00};
        wdata_d   = buf_word_q;
        state_d   = StWrWait;
      end

      StWrWait: begin
        if (b_fire) begin
          if (bresp_q != 2'b00) begin
            state_d    = StRspInit;
            rsp_code_d = (bresp_q == 2'b11) ? NakBusDecerr : NakBusSlverr;
            rsp_arg_d  = word_q[7:0];
            rsp_pay_d  = PayNone;
          end else if (word_last_q) begin
            state_d    = StRspInit;
            rsp_code_d = CmdWrite;
            rsp_arg_d  = len_q;
            rsp_pay_d  = PayNone;
          end else begin
            word_d  = word_q + 9'd1;
            cnt_d   = 2'd0;
            state_d = StWrLoad;
          end
        end else if (axi_tmo_hit_q) begin
          state_d    = StRspInit;
          rsp_code_d = NakBusTimeout;
          rsp_arg_d  = word_q[7:0];
          rsp_pay_d  = PayNone;
        end
      end

      StRdIssue: begin
        arvalid_d = 1'b1;
        rpend_d   = 1'b1;
        axaddr_d  = addr_q + {21'd0, word_q, 2'b00};
        state_d   = StRdWait;
      end

      StRdWait: begin
        if (r_fire) begin
          buf_we    = 1'b1;
          buf_wdata = rdata_q;
          if (rresp_q != 2'b00) begin
            state_d    = StRspInit;
            rsp_code_d = (rresp_q == 2'b11) ? NakBusDecerr : NakBusSlverr;
            rsp_arg_d  = word_q[7:0];
            rsp_pay_d  = PayNone;
          end else if (word_last_q) begin
            state_d    = StRspInit;
            rsp_code_d = CmdRead;
            rsp_arg_d  = len_q;
            rsp_pay_d  = PayRead;
          end else begin
            word_d  = word_q + 9'd1;
            state_d = StRdIssue;
          end
        end else if (axi_tmo_hit_q) begin
          state_d    = StRspInit;
          rsp_code_d = NakBusTimeout;
          rsp_arg_d  = word_q[7:0];
          rsp_pay_d  = PayNone;
        end
      end

      StRspInit: begin
        // every response starts here (rsp_code/arg/pay were set on the way in): the
        // response's CRC and read-back word are (re)started from a decoded state_q
        // (timing: not from state_d, behind the whole transition logic)
        crc_d     = 16'hFFFF;
        word_d    = '0;
        rsp_gap_d = 2'd0;
        state_d   = StResp;
      end

      StResp: begin
        // sel_*_q: byte rsp_idx_q, two stages behind it (stage 2 one behind buf_word_q
        // and crc_q); rsp_gap keeps the emission that far behind all of them.  At entry
        // rsp_idx_q has been 0 for two clocks (StRspInit and the clock before): byte 0
        // (RspSync) is in sel_byte_q.
        if (out_free && rsp_gap_q == 2'd0) begin
          rsp_gap_d   = 2'd3;
          out_valid_d = 1'b1;
          out_data_d  = sel_byte_q;
          rsp_idx_d   = rsp_idx_q + 11'd1;
          if (!sel_in_crc_q) crc_d = crc16_byte(crc_q, sel_byte_q);
          if (sel_word_end_q) word_d = word_q + 9'd1;
          if (sel_last_q) begin
            state_d = StDrain;
            if (rsp_code_q[7]) begin
              naks_d     = naks_q + 32'd1;
              last_nak_d = rsp_code_q;
            end else begin
              acks_d = acks_q + 32'd1;
            end
          end
        end
      end

      StDrain: begin
        // wait for AXI transfers abandoned by a BUS_TIMEOUT
        if (!axi_busy) state_d = StSync;
      end

      default: state_d = StSync;
    endcase
  end

  assign buf_waddr = BufAw'(word_q);
  assign buf_raddr = BufAw'(word_q);

  // ---------------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StSync;
      seq_q       <= '0;
      cmd_wr_q    <= 1'b0;
      cmd_st_q    <= 1'b0;
      len_q       <= '0;
      cnt_q       <= '0;
      word_q      <= '0;
      fbytes_q    <= '0;
      tmo_q       <= '0;
      axi_tmo_q   <= '0;
      tmo_hit_q     <= 1'b0;
      axi_tmo_hit_q <= 1'b0;
      addr_ok_q     <= 1'b0;
      word_last_q   <= 1'b0;
      crc_ok_q      <= 1'b0;
      rsp_code_q  <= '0;
      rsp_arg_q   <= '0;
      rsp_pay_q   <= PayNone;
      rsp_idx_q   <= '0;
      rsp_gap_q   <= 2'd0;
      out_valid_q <= 1'b0;
      awvalid_q   <= 1'b0;
      wvalid_q    <= 1'b0;
      bpend_q     <= 1'b0;
      arvalid_q   <= 1'b0;
      rpend_q     <= 1'b0;
      acks_q      <= '0;
      naks_q      <= '0;
      dropped_q   <= '0;
      last_nak_q  <= '0;
      garbage_q   <= 1'b0;
      gcount_q    <= '0;
    end else begin
      state_q     <= state_d;
      seq_q       <= seq_d;
      cmd_wr_q    <= cmd_wr_d;
      cmd_st_q    <= cmd_st_d;
      len_q       <= len_d;
      cnt_q       <= cnt_d;
      word_q      <= word_d;
      fbytes_q    <= fbytes_d;
      tmo_q       <= tmo_d;
      axi_tmo_q   <= axi_tmo_d;
      tmo_hit_q     <= tmo_d == TmoLimit;
      axi_tmo_hit_q <= axi_tmo_d == AxiTmoLimit;
      addr_ok_q     <= addr_ok;
      word_last_q   <= word_q == {1'b0, len_q};
      crc_ok_q      <= crc16_byte(crc_q, in_byte) == 16'h0000;
      rsp_code_q  <= rsp_code_d;
      rsp_arg_q   <= rsp_arg_d;
      rsp_pay_q   <= rsp_pay_d;
      rsp_idx_q   <= rsp_idx_d;
      rsp_gap_q   <= rsp_gap_d;
      out_valid_q <= out_valid_d;
      awvalid_q   <= awvalid_d;
      wvalid_q    <= wvalid_d;
      bpend_q     <= bpend_d;
      arvalid_q   <= arvalid_d;
      rpend_q     <= rpend_d;
      acks_q      <= acks_d;
      naks_q      <= naks_d;
      dropped_q   <= dropped_d;
      last_nak_q  <= last_nak_d;
      garbage_q   <= garbage_d;
      gcount_q    <= gcount_d;
    end
  end

  // data path: no reset
  always_ff @(posedge clk_i) begin
    addr_q     <= addr_d;
    wacc_q     <= wacc_d;
    crc_q      <= crc_d;
    out_data_q <= out_data_d;
    axaddr_q   <= axaddr_d;
    wdata_q    <= wdata_d;
  end

  // response registers (valid bits cleared by the clock after capture: ready is low then)
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bvalid_q <= 1'b0;
      rvalid_q <= 1'b0;
    end else begin
      bvalid_q <= m_axil_bvalid && m_axil_bready;
      rvalid_q <= m_axil_rvalid && m_axil_rready;
    end
  end

  always_ff @(posedge clk_i) begin
    if (m_axil_bvalid && m_axil_bready) bresp_q <= m_axil_bresp;
    if (m_axil_rvalid && m_axil_rready) begin
      rdata_q <= m_axil_rdata;
      rresp_q <= m_axil_rresp;
    end
  end

  always_ff @(posedge clk_i) begin
    if (buf_we) buf_mem[buf_waddr] <= buf_wdata;
  end

  always_ff @(posedge clk_i) begin
    buf_rdata_q <= buf_mem[buf_raddr];
    buf_word_q  <= buf_rdata_q;
  end

  always_ff @(posedge clk_i) begin
    pay_words_q    <= pay_words;
    sel_fix_q      <= out_fix;                            // stage 1
    sel_rd_q       <= out_rd;
    sel_in_crc_q   <= out_in_crc;
    sel_last_q     <= out_last;
    sel_word_end_q <= out_rd && rsp_idx_q[1:0] == 2'b11;
    sel_byte_q     <= sel_rd_q      ? buf_word_q[8*rsp_idx_q[1:0] +: 8] :    // stage 2
                      !sel_in_crc_q ? sel_fix_q :
                      sel_last_q    ? crc_q[7:0] : crc_q[15:8];
  end

  // ---------------------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------------------
  // Input holding register (timing: the receive FIFO's handshake stops at a flop; a
  // byte takes two clocks in, against ~170 per byte on the UART)
  assign s_axis_tready = !in_valid_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_valid_q <= 1'b0;
    end else if (s_axis_tvalid && s_axis_tready) begin
      in_valid_q <= 1'b1;
    end else if (in_fire) begin
      in_valid_q <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (s_axis_tvalid && s_axis_tready) begin
      in_data_q     <= s_axis_tdata;
      in_user_q     <= s_axis_tuser;
      in_sync_q     <= s_axis_tdata == ReqSync;
      in_cmd_ok_q   <= s_axis_tdata inside {CmdWrite, CmdRead, CmdStatus};
      in_zero_q     <= s_axis_tdata == 8'd0;
      in_too_long_q <= 9'(s_axis_tdata) + 9'd1 > 9'(MaxWords);
    end
  end
  assign m_axis_tdata   = out_data_q;
  assign m_axis_tvalid  = out_valid_q;

  assign m_axil_awaddr  = axaddr_q[AddrWidth-1:0];
  assign m_axil_awprot  = 3'b000;
  assign m_axil_awvalid = awvalid_q;
  assign m_axil_wdata   = wdata_q;
  assign m_axil_wstrb   = 4'hF;
  assign m_axil_wvalid  = wvalid_q;
  assign m_axil_bready  = bpend_q && !bvalid_q;
  assign m_axil_araddr  = axaddr_q[AddrWidth-1:0];
  assign m_axil_arprot  = 3'b000;
  assign m_axil_arvalid = arvalid_q;
  assign m_axil_rready  = rpend_q && !rvalid_q;

endmodule
