// Enhanced fan-out with the JavaScript SDK v3 and its default settings: a consumer registered,
// then SubscribeToShard (an event stream over HTTP/2).
// Usage: node subscribe_to_shard.mjs ENDPOINT STREAM_ARN; prints one JSON line: the consumer's
// status and what the SDK threw for SubscribeToShard (its name, message, HTTP status, attempts).
import {
  KinesisClient,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from "@aws-sdk/client-kinesis";

const [endpoint, streamArn] = process.argv.slice(2);
const kinesis = new KinesisClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});

try {
  const { Consumer } = await kinesis.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: "fan-out-from-js" }),
  );
  let refused = null;
  try {
    const subscription = await kinesis.send(
      new SubscribeToShardCommand({
        ConsumerARN: Consumer.ConsumerARN,
        ShardId: "shardId-000000000000",
        StartingPosition: { Type: "TRIM_HORIZON" },
      }),
    );
    for await (const _ of subscription.EventStream) break;
  } catch (error) {
    refused = {
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
      attempts: error.$metadata?.attempts,
    };
  }
  console.log(JSON.stringify({ consumerStatus: Consumer.ConsumerStatus, refused }));
} finally {
  kinesis.destroy();
}
