// The JavaScript SDK v3 against the local endpoint with its DEFAULT configuration: only the
// endpoint, the region and dummy credentials. The Kinesis client talks HTTP/2 (its default
// request handler is NodeHttp2Handler), the DynamoDB client HTTP/1.1.
// Usage: node sdk_v3.mjs ENDPOINT STREAM TABLE KEY FULL_STREAM; prints one JSON line of what
// it saw: it puts records on STREAM, reads KEY from TABLE and reads FULL_STREAM back.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

const [endpoint, stream, table, key, fullStream] = process.argv.slice(2);
const settings = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
};
const kinesis = new KinesisClient(settings);
const dynamodb = new DynamoDBClient(settings);
const encode = (text) => new TextEncoder().encode(text);

try {
  // One at a time: the client opens an HTTP/2 session per request and closes it as soon as the
  // response headers arrive, so each one checks that the body still gets through.
  const singles = [];
  for (const text of ["one from js", "two from js", "three from js"]) {
    const sent = await kinesis.send(
      new PutRecordCommand({ StreamName: stream, PartitionKey: "js", Data: encode(text) }),
    );
    singles.push(sent.SequenceNumber);
  }
  const batch = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: [
        { PartitionKey: "js", Data: encode("four from js") },
        { PartitionKey: "js", Data: encode("five from js") },
      ],
    }),
  );
  // More than the client's HTTP/2 flow-control window (64 KiB): sent in several DATA frames.
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: fullStream,
      ShardId: "shardId-000000000000",
      ShardIteratorType: "TRIM_HORIZON",
    }),
  );
  const read = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
  const item = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } } }));
  console.log(
    JSON.stringify({
      kinesisHandler: kinesis.config.requestHandler.constructor.name,
      singleSequenceNumbers: singles,
      failedRecordCount: batch.FailedRecordCount,
      batchSequenceNumbers: batch.Records.map((record) => record.SequenceNumber),
      item: item.Item,
      readBack: read.Records.map((record) => new TextDecoder().decode(record.Data)),
    }),
  );
} finally {
  kinesis.destroy();
  dynamodb.destroy();
}
