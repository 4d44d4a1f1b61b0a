package mqadmin

import "strconv"

// Request codes Lagboard sends or may receive.
const (
	codeQueryConsumerOffset        int32 = 14
	codeUpdateConsumerOffset       int32 = 15
	codeUpdateAndCreateTopic       int32 = 17
	codeGetBrokerRuntimeInfo       int32 = 28
	codeGetBrokerConfig            int32 = 26
	codeSearchOffsetByTimestamp    int32 = 29
	codeGetMaxOffset               int32 = 30
	codeGetMinOffset               int32 = 31
	codeGetEarliestMsgStoreTime    int32 = 32
	codeGetConsumerListByGroup     int32 = 38
	codeGetAllConsumerOffset       int32 = 43
	codeGetRouteInfoByTopic        int32 = 105
	codeGetBrokerClusterInfo       int32 = 106
	codeUpdateAndCreateSubGroup    int32 = 200
	codeGetAllSubscriptionGroup    int32 = 201
	codeGetTopicStatsInfo          int32 = 202
	codeGetConsumerConnectionList  int32 = 203
	codeGetAllTopicListFromNamesrv int32 = 206
	codeGetConsumeStats            int32 = 208
	codeInvokeBrokerToResetOffset  int32 = 222
	codeQueryTopicConsumeByWho     int32 = 300
	codeQueryConsumeTimeSpan       int32 = 303
	codeGetConsumerRunningInfo     int32 = 307
	codeGetBrokerConsumeStats      int32 = 317
)

// Response code for success, and the one sent for requests we do not serve.
const (
	codeSuccess                  int32 = 0
	codeRequestNotSupported      int32 = 3
	defaultClientVersion         int32 = 479 // V5_3_3; ≥ 401 makes the name server send standard route JSON
	defaultLanguage                    = "GO"
	defaultTopicForCreate              = "TBW102"
	defaultTopicFilterType             = "SINGLE_TAG"
	defaultCreateTopicQueueCount       = 4
)

var codeNames = map[int32]string{
	codeQueryConsumerOffset:        "QUERY_CONSUMER_OFFSET",
	codeUpdateConsumerOffset:       "UPDATE_CONSUMER_OFFSET",
	codeUpdateAndCreateTopic:       "UPDATE_AND_CREATE_TOPIC",
	codeGetBrokerRuntimeInfo:       "GET_BROKER_RUNTIME_INFO",
	codeGetBrokerConfig:            "GET_BROKER_CONFIG",
	codeSearchOffsetByTimestamp:    "SEARCH_OFFSET_BY_TIMESTAMP",
	codeGetMaxOffset:               "GET_MAX_OFFSET",
	codeGetMinOffset:               "GET_MIN_OFFSET",
	codeGetEarliestMsgStoreTime:    "GET_EARLIEST_MSG_STORETIME",
	codeGetConsumerListByGroup:     "GET_CONSUMER_LIST_BY_GROUP",
	codeGetAllConsumerOffset:       "GET_ALL_CONSUMER_OFFSET",
	codeGetRouteInfoByTopic:        "GET_ROUTEINFO_BY_TOPIC",
	codeGetBrokerClusterInfo:       "GET_BROKER_CLUSTER_INFO",
	codeUpdateAndCreateSubGroup:    "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	codeGetAllSubscriptionGroup:    "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	codeGetTopicStatsInfo:          "GET_TOPIC_STATS_INFO",
	codeGetConsumerConnectionList:  "GET_CONSUMER_CONNECTION_LIST",
	codeGetAllTopicListFromNamesrv: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	codeGetConsumeStats:            "GET_CONSUME_STATS",
	codeInvokeBrokerToResetOffset:  "INVOKE_BROKER_TO_RESET_OFFSET",
	codeQueryTopicConsumeByWho:     "QUERY_TOPIC_CONSUME_BY_WHO",
	codeQueryConsumeTimeSpan:       "QUERY_CONSUME_TIME_SPAN",
	codeGetConsumerRunningInfo:     "GET_CONSUMER_RUNNING_INFO",
	codeGetBrokerConsumeStats:      "GET_BROKER_CONSUME_STATS",
	codeViewBrokerStatsData:        "VIEW_BROKER_STATS_DATA",
	codePullMessage:                "PULL_MESSAGE",
	codeSendMessage:                "SEND_MESSAGE",
}

// codeName returns the protocol name of a request code, or "REQUEST_<n>".
func codeName(code int32) string {
	if n, ok := codeNames[code]; ok {
		return n
	}
	return "REQUEST_" + strconv.Itoa(int(code))
}
