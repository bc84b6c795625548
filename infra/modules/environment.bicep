// Log Analytics and the Container Apps environment, with the checkpoint share registered as the
// environment's storage "checkpoints".
//
// Logs go through Azure Monitor diagnostic settings (tables ContainerAppConsoleLogs and
// ContainerAppSystemLogs) rather than the environment's built-in Log Analytics link, which
// would need the workspace's shared key.

param location string
param tags object
param logAnalyticsName string
param environmentName string

@description('Days Log Analytics keeps the logs.')
param logRetentionDays int

@description('Account holding the checkpoint share (its key is read here, at deployment).')
param checkpointAccountName string
param checkpointShareName string

@description('Name under which the share is registered in the environment.')
param storageName string

@description('Route the replicas\' OpenTelemetry traces through the environment\'s managed agent to a new Application Insights resource.')
param openTelemetryToAppInsights bool = false

@description('Name of the Application Insights resource created when openTelemetryToAppInsights is on.')
param appInsightsName string = ''

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

// Workspace-based Application Insights: traces land in the same Log Analytics workspace as the
// console logs (tables AppRequests and AppDependencies).
resource appInsights 'Microsoft.Insights/components@2020-02-02' = if (openTelemetryToAppInsights) {
  name: empty(appInsightsName) ? 'appi-${environmentName}' : appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
  }
}

// The managed OpenTelemetry agent is configured through a preview API version. With it on, the
// platform sets OTEL_EXPORTER_OTLP_ENDPOINT (and its protocol) in every replica, which turns on
// blobflow's trace export; Application Insights takes traces and logs but not metrics, so the app
// gets OTEL_METRICS_EXPORTER=none (main.bicep) and metrics stay on /metrics.
resource managedEnvironment 'Microsoft.App/managedEnvironments@2025-02-02-preview' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    appInsightsConfiguration: openTelemetryToAppInsights ? {
      connectionString: appInsights!.properties.ConnectionString
    } : null
    openTelemetryConfiguration: openTelemetryToAppInsights ? {
      tracesConfiguration: {
        destinations: [
          'appInsights'
        ]
      }
    } : null
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    zoneRedundant: false
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-log-analytics'
  scope: managedEnvironment
  properties: {
    workspaceId: logAnalytics.id
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'ContainerAppConsoleLogs'
        enabled: true
      }
      {
        category: 'ContainerAppSystemLogs'
        enabled: true
      }
    ]
  }
}

resource checkpointAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: checkpointAccountName
}

// The one place an account key is used: Container Apps mounts Azure Files (SMB) only with the
// storage account key; it has no managed-identity option for volume mounts. The key is read at
// deployment and stored by the environment as a secret; it never reaches blobflow, its
// environment variables or the deployment outputs, and it opens only the checkpoint account,
// which holds nothing but this share (storage.bicep).
resource checkpointStorage 'Microsoft.App/managedEnvironments/storages@2025-02-02-preview' = {
  parent: managedEnvironment
  name: storageName
  properties: {
    azureFile: {
      accountName: checkpointAccount.name
      accountKey: checkpointAccount.listKeys().keys[0].value
      shareName: checkpointShareName
      accessMode: 'ReadWrite'
    }
  }
}

output environmentId string = managedEnvironment.id
output storageName string = checkpointStorage.name
output logAnalyticsWorkspaceId string = logAnalytics.id
