import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';

// face-api's SsdMobilenetv1.forwardInput, the same operations in the same order (so the same numbers), but
// releasing each MobileNet layer's output as soon as the next layer has it. face-api runs the 14 layers in one
// tf.tidy, which keeps every output until the end: ~130 MB of activations for its 512 x 512 input, on top of
// the 44 MB of weights. In the WASM backend that peak sets the size of the WASM heap, which never shrinks, so
// each engine worker held ~300 MB of heap after its first image; with this forward pass the peak is the two
// largest neighbouring layers. Source followed: @vladmandic/face-api src/ssdMobilenetv1/{SsdMobilenetv1,
// mobileNetV1, pointwiseConvLayer, predictionLayer, boxPredictionLayer, outputLayer}.ts and common/convLayer.ts.

const tf = faceapi.tf;
type Tensor4D = faceapi.tf.Tensor4D;
type Tensor2D = faceapi.tf.Tensor2D;
type Tensor1D = faceapi.tf.Tensor1D;
type Tensor3D = faceapi.tf.Tensor3D;

interface PointwiseConvParams {
  filters: Tensor4D;
  batch_norm_offset: Tensor1D;
}
interface DepthwiseConvParams {
  filters: Tensor4D;
  batch_norm_scale: Tensor1D;
  batch_norm_offset: Tensor1D;
  batch_norm_mean: Tensor1D;
  batch_norm_variance: Tensor1D;
}
interface ConvParams {
  filters: Tensor4D;
  bias: Tensor1D;
}
interface BoxPredictionParams {
  box_encoding_predictor: ConvParams;
  class_predictor: ConvParams;
}
type ConvPair = { depthwise_conv: DepthwiseConvParams; pointwise_conv: PointwiseConvParams };
interface SsdParams {
  mobilenetv1: { conv_0: PointwiseConvParams } & Record<string, ConvPair>;
  prediction_layer: Record<string, PointwiseConvParams> & Record<string, BoxPredictionParams>;
  output_layer: { extra_dim: Tensor3D };
}
interface BatchInput {
  toBatchTensor(inputSize: number, isCenterInputs: boolean): Tensor4D;
}
type SsdOutput = { boxes: Tensor2D[]; scores: Tensor1D[] };

const BATCH_NORM_EPSILON = 0.0010000000474974513;
const INPUT_SIZE = 512;

/** Makes face-api's SSD detector (loaded) run the forward pass below. */
export function useLowPeakForward(net: faceapi.SsdMobilenetv1): void {
  const target = net as unknown as { params: SsdParams | undefined; forwardInput(input: BatchInput): SsdOutput };
  target.forwardInput = (input: BatchInput) => {
    const params = target.params;
    if (!params) throw new Error('SsdMobilenetv1 - load model before inference');
    return forwardInput(input, params);
  };
}

function forwardInput(input: BatchInput, params: SsdParams): SsdOutput {
  return tf.tidy(() => {
    const batchTensor = tf.cast(input.toBatchTensor(INPUT_SIZE, false), 'float32');
    const x = tf.sub(tf.div(batchTensor, 127.5), 1) as Tensor4D;
    const { out, conv11 } = mobileNetV1(x, params.mobilenetv1);
    const { boxPredictions, classPredictions } = predictionLayer(out, conv11, params.prediction_layer);
    return outputLayer(boxPredictions, classPredictions, params.output_layer);
  });
}

function pointwiseConvLayer(x: Tensor4D, params: PointwiseConvParams, strides: [number, number]): Tensor4D {
  return tf.tidy(() => {
    let out = tf.conv2d(x, params.filters, strides, 'same');
    out = tf.add(out, params.batch_norm_offset);
    return tf.clipByValue(out, 0, 6);
  });
}

function depthwiseConvLayer(x: Tensor4D, params: DepthwiseConvParams, strides: [number, number]): Tensor4D {
  return tf.tidy(() => {
    let out = tf.depthwiseConv2d(x, params.filters, strides, 'same');
    const { batch_norm_mean: mean, batch_norm_variance: variance, batch_norm_offset: offset } = params;
    out = tf.batchNorm(out, mean, variance, offset, params.batch_norm_scale, BATCH_NORM_EPSILON);
    return tf.clipByValue(out, 0, 6);
  });
}

/** The 14 MobileNet layers; each output is disposed once the next one has it (conv 11's is kept: it is an output). */
function mobileNetV1(x: Tensor4D, params: SsdParams['mobilenetv1']): { out: Tensor4D; conv11: Tensor4D } {
  let out = pointwiseConvLayer(x, params.conv_0, [2, 2]);
  let conv11: Tensor4D | null = null;
  for (let layer = 1; layer <= 13; layer++) {
    const pair = params[`conv_${layer}`] as ConvPair;
    const strides: [number, number] = [2, 4, 6, 12].includes(layer) ? [2, 2] : [1, 1];
    const depthwise = depthwiseConvLayer(out, pair.depthwise_conv, strides);
    if (out !== conv11) out.dispose();
    out = pointwiseConvLayer(depthwise, pair.pointwise_conv, [1, 1]);
    depthwise.dispose();
    if (layer === 11) conv11 = out;
  }
  return { out, conv11: conv11! };
}

function convLayer(x: Tensor4D, params: ConvParams): Tensor4D {
  return tf.tidy(() => tf.add(tf.conv2d(x, params.filters, [1, 1], 'same'), params.bias) as Tensor4D);
}

function boxPredictionLayer(x: Tensor4D, params: BoxPredictionParams) {
  return tf.tidy(() => {
    const batchSize = x.shape[0];
    const boxPredictionEncoding = tf.reshape(convLayer(x, params.box_encoding_predictor), [batchSize, -1, 1, 4]);
    const classPrediction = tf.reshape(convLayer(x, params.class_predictor), [batchSize, -1, 3]);
    return { boxPredictionEncoding, classPrediction };
  });
}

// From here on the tensors are 16 x 16 and smaller: face-api's layers as they are.
function predictionLayer(x: Tensor4D, conv11: Tensor4D, params: SsdParams['prediction_layer']) {
  return tf.tidy(() => {
    const p = (name: string) => params[name] as PointwiseConvParams;
    const b = (name: string) => params[name] as BoxPredictionParams;
    const conv0 = pointwiseConvLayer(x, p('conv_0'), [1, 1]);
    const conv1 = pointwiseConvLayer(conv0, p('conv_1'), [2, 2]);
    const conv2 = pointwiseConvLayer(conv1, p('conv_2'), [1, 1]);
    const conv3 = pointwiseConvLayer(conv2, p('conv_3'), [2, 2]);
    const conv4 = pointwiseConvLayer(conv3, p('conv_4'), [1, 1]);
    const conv5 = pointwiseConvLayer(conv4, p('conv_5'), [2, 2]);
    const conv6 = pointwiseConvLayer(conv5, p('conv_6'), [1, 1]);
    const conv7 = pointwiseConvLayer(conv6, p('conv_7'), [2, 2]);
    const predictions = [
      boxPredictionLayer(conv11, b('box_predictor_0')),
      boxPredictionLayer(x, b('box_predictor_1')),
      boxPredictionLayer(conv1, b('box_predictor_2')),
      boxPredictionLayer(conv3, b('box_predictor_3')),
      boxPredictionLayer(conv5, b('box_predictor_4')),
      boxPredictionLayer(conv7, b('box_predictor_5')),
    ];
    return {
      boxPredictions: tf.concat(
        predictions.map((q) => q.boxPredictionEncoding),
        1,
      ) as Tensor4D,
      classPredictions: tf.concat(
        predictions.map((q) => q.classPrediction),
        1,
      ) as Tensor4D,
    };
  });
}

function getCenterCoordinatesAndSizesLayer(x: Tensor2D) {
  const vec = tf.unstack(tf.transpose(x, [1, 0]));
  const sizes = [tf.sub(vec[2]!, vec[0]!), tf.sub(vec[3]!, vec[1]!)];
  const centers = [tf.add(vec[0]!, tf.div(sizes[0]!, 2)), tf.add(vec[1]!, tf.div(sizes[1]!, 2))];
  return { sizes, centers };
}

function decodeBoxesLayer(x0: Tensor2D, x1: Tensor2D) {
  const { sizes, centers } = getCenterCoordinatesAndSizesLayer(x0);
  const vec = tf.unstack(tf.transpose(x1, [1, 0]));
  const div0Out = tf.div(tf.mul(tf.exp(tf.div(vec[2]!, 5)), sizes[0]!), 2);
  const add0Out = tf.add(tf.mul(tf.div(vec[0]!, 10), sizes[0]!), centers[0]!);
  const div1Out = tf.div(tf.mul(tf.exp(tf.div(vec[3]!, 5)), sizes[1]!), 2);
  const add1Out = tf.add(tf.mul(tf.div(vec[1]!, 10), sizes[1]!), centers[1]!);
  return tf.transpose(
    tf.stack([tf.sub(add0Out, div0Out), tf.sub(add1Out, div1Out), tf.add(add0Out, div0Out), tf.add(add1Out, div1Out)]),
    [1, 0],
  );
}

function outputLayer(
  boxPredictions: Tensor4D,
  classPredictions: Tensor4D,
  params: SsdParams['output_layer'],
): SsdOutput {
  return tf.tidy(() => {
    const batchSize = boxPredictions.shape[0];
    let boxes = decodeBoxesLayer(
      tf.reshape(tf.tile(params.extra_dim, [batchSize, 1, 1]), [-1, 4]) as Tensor2D,
      tf.reshape(boxPredictions, [-1, 4]) as Tensor2D,
    );
    boxes = tf.reshape(boxes, [batchSize, boxes.shape[0] / batchSize, 4]);
    const scoresAndClasses = tf.sigmoid(tf.slice(classPredictions, [0, 0, 1], [-1, -1, -1]));
    let scores = tf.slice(scoresAndClasses, [0, 0, 0], [-1, -1, 1]) as faceapi.tf.Tensor;
    scores = tf.reshape(scores, [batchSize, scores.shape[1] as number]);
    return { boxes: tf.unstack(boxes) as Tensor2D[], scores: tf.unstack(scores) as Tensor1D[] };
  });
}
