// A minimal RocketMQ Java push consumer for tests: it lets them ask a real Java client for
// its running info through the broker (the Go client answers that request with an empty
// body). Run as a single-file program (stacktest.JavaConsumer does):
//
//	java -cp '<rocketmq lib>/*' JavaConsumer.java NAMESRV GROUP TOPIC INSTANCE [BROADCASTING]
//	     [DELAY=<ms>] [ORDERLY] [STUCK=<body>]
//
// It prints STARTED once started, RECEIVED <body> for every message, CONSUMED <n> for every
// batch it consumes, and shuts down when its standard input closes. DELAY makes each message
// take that long, one at a time. ORDERLY consumes each queue in order, holding its lock;
// STUCK then suspends the queue of the message with that body, again and again.
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.common.message.MessageExt;
import java.nio.charset.StandardCharsets;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;

public class JavaConsumer {
    public static void main(String[] args) throws Exception {
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(args[1]);
        consumer.setNamesrvAddr(args[0]);
        consumer.setInstanceName(args[3]);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setPersistConsumerOffsetInterval(1000);
        long delay = 0;
        boolean broadcasting = false, orderly = false;
        String stuck = null;
        for (int i = 4; i < args.length; i++) {
            if (args[i].equals("BROADCASTING")) {
                broadcasting = true;
            } else if (args[i].equals("ORDERLY")) {
                orderly = true;
            } else if (args[i].startsWith("STUCK=")) {
                stuck = args[i].substring(6);
            } else if (args[i].startsWith("DELAY=")) {
                delay = Long.parseLong(args[i].substring(6));
            }
        }
        if (delay > 0) {
            consumer.setConsumeThreadMin(1);
            consumer.setConsumeThreadMax(1);
            consumer.setConsumeMessageBatchMaxSize(1);
        }
        final long each = delay;
        if (broadcasting) {
            // MessageModel moved from common.protocol (4.x) to remoting.protocol (5.x).
            Class<?> model;
            try {
                model = Class.forName("org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel");
            } catch (ClassNotFoundException e) {
                model = Class.forName("org.apache.rocketmq.common.protocol.heartbeat.MessageModel");
            }
            Object mode = model.getField("BROADCASTING").get(null);
            consumer.getClass().getMethod("setMessageModel", model).invoke(consumer, mode);
        }
        consumer.subscribe(args[2], "*");
        final String stuckOn = stuck;
        if (orderly) {
            consumer.setConsumeMessageBatchMaxSize(1);
            consumer.registerMessageListener((MessageListenerOrderly) (msgs, context) -> {
                for (MessageExt m : msgs) {
                    String body = new String(m.getBody(), StandardCharsets.UTF_8);
                    say("RECEIVED " + body);
                    if (body.equals(stuckOn)) {
                        return ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT;
                    }
                }
                say("CONSUMED " + msgs.size());
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
            if (each > 0) {
                try {
                    Thread.sleep(each * msgs.size());
                } catch (InterruptedException e) {
                    return ConsumeConcurrentlyStatus.RECONSUME_LATER;
                }
            }
            synchronized (System.out) {
                System.out.println("CONSUMED " + msgs.size());
                System.out.flush();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        say("STARTED");
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until stdin closes
        }
        consumer.shutdown();
    }

    static void say(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }
}
