// A user's design around a classifier that nomul generated from
// examples/hd_classifier64_stream.toml (nomul verilog examples/hd_classifier64_stream.toml):
// the classifier is instance u_classifier, its stream ports come out under the top's own
// names, and the top adds logic of its own: a count of the results delivered and the last
// class seen.
module user_top (
    input  wire        clk,
    input  wire        rst,
    // 64 signed 8-bit samples per vector, 4 per beat (sample 4b+k at bits [8k +: 8] of beat b)
    input  wire        samples_valid,
    output wire        samples_ready,
    input  wire [31:0] samples,
    // the class of each vector: the index (0..9) of the neuron with the highest popcount
    output wire        class_valid,
    input  wire        class_ready,
    output wire [3:0]  class_index,
    // the user's own logic
    output reg  [15:0] results,
    output reg  [3:0]  last_class
);
    hd_classifier64_stream u_classifier (
        .clk(clk), .rst(rst),
        .i__valid(samples_valid), .i__ready(samples_ready), .i__payload(samples),
        .o__valid(class_valid), .o__ready(class_ready), .o__payload(class_index)
    );

    always @(posedge clk) begin
        if (rst) begin
            results <= 16'd0;
            last_class <= 4'd0;
        end else if (class_valid && class_ready) begin
            results <= results + 16'd1;
            last_class <= class_index;
        end
    end
endmodule
