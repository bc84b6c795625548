// The two storage accounts blobflow works with.
//
// The data account holds the input and output containers, the work queue Event Grid fills, the
// poison queue and Event Grid's dead-letter container. Everything reaches it with Microsoft Entra
// ID (managed identities, RBAC), so Shared Key is off by default.
//
// The checkpoint account holds only the Azure Files share the replicas mount for checkpoints,
// claims and dead-letter records. Container Apps mounts Azure Files over SMB with the account key
// and nothing else (no managed identity for volume mounts), and an account that refuses Shared
// Key refuses that mount too. Keeping the share in an account of its own confines the one key
// that must exist to the checkpoint share, and lets the data account refuse keys altogether.
//
// Network: both accounts keep their public endpoints without firewall rules. The replicas of a
// Container Apps environment without a virtual network have no fixed outbound addresses to
// allow, and Event Grid delivers with a user-assigned identity only to an account without
// firewall rules. Access to the data account is Microsoft Entra ID and RBAC alone.

@description('Name of the data account (input/output containers, queues).')
param dataAccountName string

@description('Name of the account that holds the checkpoint file share.')
param checkpointAccountName string

param location string
param tags object

@description('Allow Shared Key (account key and key-signed SAS) on the data account. Off: only Microsoft Entra ID.')
param allowSharedKeyAccess bool

@description('Redundancy of both accounts.')
param skuName string

param inputContainerName string
param outputContainerName string
param deadLetterContainerName string
param queueName string
param poisonQueueName string
param checkpointShareName string

@description('Size limit of the checkpoint share in GiB.')
param checkpointShareQuotaGiB int

@description('Days deleted blobs and containers of the data account can be restored.')
param softDeleteRetentionDays int

// Input and output may be one container (with disjoint prefixes).
var containerNames = inputContainerName == outputContainerName ? [
  inputContainerName
  deadLetterContainerName
] : [
  inputContainerName
  outputContainerName
  deadLetterContainerName
]

resource dataAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43:the name is 'st' plus uniqueString(), always valid; checkov cannot see it
  // checkov:skip=CKV_AZURE_206:redundancy is the storageSkuName parameter (GRS/GZRS allowed)
  name: dataAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    // Public endpoint, no firewall rules: see "Network" at the top of this file.
    // checkov:skip=CKV_AZURE_35:no fixed egress addresses to allow; access is RBAC-only
    // checkov:skip=CKV_AZURE_59:replicas and Event Grid use the public endpoint; access is RBAC-only
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: dataAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for name in containerNames: {
  parent: blobService
  name: name
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: dataAccount
  name: 'default'
}

resource workQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: queueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: poisonQueueName
}

resource checkpointAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43:the name is 'stck' plus uniqueString(), always valid; checkov cannot see it
  // checkov:skip=CKV_AZURE_206:redundancy is the storageSkuName parameter (GRS/GZRS allowed)
  name: checkpointAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Required: Container Apps mounts the share over SMB with the account key (see the top).
    allowSharedKeyAccess: true
    allowCrossTenantReplication: false
    // checkov:skip=CKV_AZURE_35:no fixed egress addresses to allow; the mount is keyed (see the top)
    // checkov:skip=CKV_AZURE_59:the replicas mount the share over the public endpoint (SMB 3)
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: checkpointAccount
  name: 'default'
  properties: {
    shareDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource checkpointShare 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: checkpointShareName
  properties: {
    enabledProtocols: 'SMB'
    accessTier: 'TransactionOptimized'
    shareQuota: checkpointShareQuotaGiB
  }
}

output dataAccountId string = dataAccount.id
output dataAccountName string = dataAccount.name
output checkpointAccountName string = checkpointAccount.name
output checkpointShareName string = checkpointShare.name
output workQueueName string = workQueue.name
output poisonQueueName string = poisonQueue.name
