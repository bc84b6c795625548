// Event Grid: a system topic on the data account and one subscription that puts every
// Microsoft.Storage.BlobCreated event for the input container (and prefix) on the work queue.
//
// - Delivery and dead-lettering use a user-assigned identity (Storage Queue Data Message Sender
//   on the work queue, Storage Blob Data Contributor on the dead-letter container; roles.bicep),
//   so they keep working when the account refuses Shared Key.
// - queueMessageTimeToLiveInSeconds -1: a queued event never expires. Azure's default is 7 days,
//   after which an event no consumer got to would vanish without a trace.
// - Event Grid's retry policy (30 attempts within 24 hours, its defaults, written out) covers the
//   queue being unreachable; what it still cannot deliver lands in the dead-letter container as
//   one JSON blob per event, to be replayed by hand (or re-queued: it is the same event body).

param dataAccountId string
param location string
param tags object
param systemTopicName string
param subscriptionName string

@description('Resource id of the user-assigned identity Event Grid delivers with.')
param eventGridIdentityId string

param inputContainerName string

@description('Only blobs whose names start with this are delivered (empty: all).')
param inputPrefix string

param queueName string
param deadLetterContainerName string

@description('Event Grid delivery attempts before an event is dead-lettered (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int

@description('Minutes Event Grid keeps retrying an event (1-1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${eventGridIdentityId}': {}
    }
  }
  properties: {
    source: dataAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${inputContainerName}/blobs/${inputPrefix}'
      isSubjectCaseSensitive: true
    }
    deliveryWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: dataAccountId
          queueName: queueName
          queueMessageTimeToLiveInSeconds: -1
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: dataAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output systemTopicName string = systemTopic.name
output subscriptionName string = blobCreated.name
