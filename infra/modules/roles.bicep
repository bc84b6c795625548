// Data-plane roles on the data account, each scoped to the one container or queue it is for.
//
// Built-in role definition ids (Microsoft's "Azure built-in roles" list):
//   Storage Blob Data Reader             2a2b9908-6ea1-4ae2-8e65-a410df84e7d1
//   Storage Blob Data Contributor        ba92f5b4-2d11-453d-a403-e96b0029c9fe
//   Storage Blob Delegator               db58b8e5-c6ad-4a2a-8342-4190687cbf4a
//   Storage Queue Data Contributor       974c5e8b-45b9-4653-ba55-5f855dd0fb88
//   Storage Queue Data Message Sender    c6a89b2d-59bc-44d0-9896-0f6e12d7b80a
//
// blobflow's identity:
//   - input container: Blob Data Reader (it only downloads);
//   - output container: Blob Data Contributor (uploads, overwrites on a re-run);
//   - the account: Blob Delegator, only the Get User Delegation Key action, which is an
//     account-level operation: blobflow signs a user delegation SAS for the one blob it hands
//     to azcopy, so no key is needed;
//   - work and poison queues: Queue Data Contributor on each queue. Message Processor (peek,
//     get, delete) plus Message Sender (put) is not enough: renewing a lease is Update Message
//     (queues/messages/write), `blobflow status`, the scaler and the replay tool read the
//     queue's metadata (queues/read), and `blobflow run` calls Create Queue on both queues at
//     start (queues/write), which Azure authorizes before it finds the queue exists. Scoped to
//     the two queues, Contributor grants nothing on any other queue of the account.
// Event Grid's identity (delivery and dead-lettering, as Event Grid documents):
//   - work queue: Queue Data Message Sender;
//   - dead-letter container: Blob Data Contributor.
// An optional operator (the person running azd, or a group) gets what the blobflow command
// needs from a workstation (status, replay) and uploads to the input container for a try-out.

param dataAccountName string
param inputContainerName string
param outputContainerName string
param deadLetterContainerName string
param queueName string
param poisonQueueName string

@description('Principal id of blobflow\'s user-assigned identity.')
param consumerPrincipalId string

@description('Principal id of the identity Event Grid delivers with.')
param eventGridPrincipalId string

@description('Optional: principal id of a person or group that operates blobflow. Empty: none.')
param operatorPrincipalId string = ''

var roles = {
  blobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  blobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  queueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
}
var hasOperator = !empty(operatorPrincipalId)
// When input and output share a container (with disjoint prefixes), Contributor there covers both.
var separateInput = inputContainerName != outputContainerName

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: dataAccount
  name: 'default'
}

resource inputContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: inputContainerName
}

resource outputContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: outputContainerName
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: dataAccount
  name: 'default'
}

resource workQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: queueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: poisonQueueName
}

// --- blobflow ---------------------------------------------------------------------------------

resource consumerInputRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (separateInput) {
  name: guid(inputContainer.id, consumerPrincipalId, roles.blobDataReader)
  scope: inputContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataReader)
    principalId: consumerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource consumerOutputWrite 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(outputContainer.id, consumerPrincipalId, roles.blobDataContributor)
  scope: outputContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: consumerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource consumerDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataAccount.id, consumerPrincipalId, roles.blobDelegator)
  scope: dataAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDelegator)
    principalId: consumerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource consumerWorkQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workQueue.id, consumerPrincipalId, roles.queueDataContributor)
  scope: workQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
    principalId: consumerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource consumerPoisonQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(poisonQueue.id, consumerPrincipalId, roles.queueDataContributor)
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
    principalId: consumerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- Event Grid -------------------------------------------------------------------------------

resource eventGridSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workQueue.id, eventGridPrincipalId, roles.queueDataMessageSender)
  scope: workQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataMessageSender)
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource eventGridDeadLetter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, eventGridPrincipalId, roles.blobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- operator (optional) ----------------------------------------------------------------------
// No principalType: it may be a user, a group or a service principal (azd run from CI).

resource operatorInput 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator && separateInput) {
  name: guid(inputContainer.id, operatorPrincipalId, roles.blobDataContributor)
  scope: inputContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: operatorPrincipalId
  }
}

resource operatorOutput 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(outputContainer.id, operatorPrincipalId, roles.blobDataContributor)
  scope: outputContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: operatorPrincipalId
  }
}

resource operatorWorkQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(workQueue.id, operatorPrincipalId, roles.queueDataContributor)
  scope: workQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
    principalId: operatorPrincipalId
  }
}

resource operatorPoisonQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(poisonQueue.id, operatorPrincipalId, roles.queueDataContributor)
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
    principalId: operatorPrincipalId
  }
}
