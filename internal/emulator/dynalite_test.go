package emulator

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func dynaliteStart(t *testing.T, dir string) *dynamodb.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Dynalite(ctx, dir, goawsLog())
	if err != nil {
		t.Fatalf("Dynalite: %v", err)
	}
	t.Cleanup(p.Stop)
	return DynamoDBClient(p.Endpoint())
}

func dynaliteCreate(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	// Even with --createTableMs 0 the table turns ACTIVE on a later tick of
	// dynalite's event loop; a busy machine can send the next call first.
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 20 * time.Millisecond })
	if err := w.Wait(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		t.Fatalf("table %s not active: %v", name, err)
	}
}

func TestDynaliteInMemoryTableIsActiveAtOnce(t *testing.T) {
	c := dynaliteStart(t, "")
	dynaliteCreate(t, c, "table1")
	// createTableMs 0: the table is usable without waiting.
	out, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("table1")})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	if out.Table.TableStatus != types.TableStatusActive {
		t.Fatalf("status = %s, want ACTIVE", out.Table.TableStatus)
	}
	_, err = c.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String("table1"),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}},
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

func TestDynaliteKeepsDataInPathAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	ctx1, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p1, err := Dynalite(ctx1, dir, goawsLog())
	if err != nil {
		t.Fatalf("Dynalite: %v", err)
	}
	c1 := DynamoDBClient(p1.Endpoint())
	dynaliteCreate(t, c1, "kept")
	_, err = c1.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("kept"),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "tenant-a"}},
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	p1.Stop()

	c2 := dynaliteStart(t, dir)
	out, err := c2.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("kept"),
		Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "tenant-a"}},
	})
	if err != nil {
		t.Fatalf("GetItem after restart: %v", err)
	}
	if out.Item == nil {
		t.Fatal("item written before the restart is gone")
	}
}

func TestDynaliteSurvivesClientHangingUpMidRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Dynalite(ctx, "", goawsLog())
	if err != nil {
		t.Fatalf("Dynalite: %v", err)
	}
	t.Cleanup(p.Stop)
	c := DynamoDBClient(p.Endpoint())

	for range 3 {
		conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)))
		if err != nil {
			t.Fatal(err)
		}
		// Promise a body and hang up half-way, as a cancelled SDK call does.
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"+
			"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{\"Li")
		conn.Close()
		// A request served after the hang-up was seen.
		if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatalf("ListTables after a hang-up: %v", err)
		}
	}
	select {
	case <-p.Done():
		t.Fatalf("dynalite died of a client hanging up: %v", p.Err())
	default:
	}
}
