import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GSI1, NOTICES_PARTITION, noticeByLayerIndex, noticeIndexKey, noticeKey, type NoticeItem } from '../../schema/table';
import { documentClient, tableName } from '../aws/dynamodb';

export type NoticeRecord = Omit<NoticeItem, 'pk' | 'sk' | 'type' | 'gsi1pk' | 'gsi1sk'>;

/** The notices lamina sent to people, in the single table (schema/README.md: notice; patterns 11-13). */
export class NoticeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient = documentClient(),
    private readonly table: string = tableName(),
  ) {}

  async has(notice: Pick<NoticeRecord, 'time' | 'noticeId'>): Promise<boolean> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: noticeKey(notice.time, notice.noticeId), ProjectionExpression: 'pk' }));
    return result.Item !== undefined;
  }

  /** Records a notice once sent; a repeat overwrites it with the same content. */
  async put(notice: NoticeRecord): Promise<void> {
    const index = notice.layerName ? noticeIndexKey(notice.layerName, notice.time, notice.noticeId) : {};
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...noticeKey(notice.time, notice.noticeId), ...index, type: 'notice', ...notice } }));
  }

  /** The newest notices (of one layer, when given), newest first. */
  async recent(limit: number, layerName?: string): Promise<NoticeRecord[]> {
    const query = layerName
      ? { IndexName: GSI1.name, KeyConditionExpression: `${GSI1.pk} = :pk`, ExpressionAttributeValues: { ':pk': noticeByLayerIndex(layerName).gsi1pk } }
      : { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': NOTICES_PARTITION } };
    const result = await this.db.send(new QueryCommand({ TableName: this.table, ...query, ScanIndexForward: false, Limit: limit }));
    return (result.Items ?? []).map(({ pk: _pk, sk: _sk, type: _type, gsi1pk: _g1, gsi1sk: _g2, ...notice }) => notice as NoticeRecord);
  }
}
