// blobflow on Azure Container Apps, in one resource group:
//
//   data storage account      input and output containers, work and poison queues, Event Grid's
//                             dead-letter container; Microsoft Entra ID only by default
//   checkpoint account        the Azure Files share the replicas share for checkpoints
//   Event Grid                system topic on the data account; BlobCreated in the input
//                             container (and prefix) -> work queue, never expiring
//   two managed identities    blobflow's and Event Grid's, each with data roles scoped to the
//                             containers and queues it uses (modules/roles.bicep says why)
//   Log Analytics + environment
//   blobflow                  a Container App scaled by KEDA on the work queue, or with
//                             useJob=true an event-driven Container Apps Job
//   registry (optional)       created for azd, or AcrPull on one you name
//
// Deploy with `azd up` (azure.yaml, main.parameters.json) or
//   az deployment group create -g RG -f infra/main.bicep -p environmentName=prod image=REGISTRY/blobflow:TAG

targetScope = 'resourceGroup'

// --- naming and placement ---------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the deployment environment (azd environment name); part of every resource name\'s seed and tag.')
param environmentName string

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Tags added to every resource.')
param tags object = {}

// --- the image --------------------------------------------------------------------------------

@description('The blobflow image, e.g. myregistry.azurecr.io/blobflow:1.0. Empty: a placeholder runs until `azd deploy` (or a redeployment with an image) replaces it.')
param image string = ''

@description('Name of an existing Azure Container Registry to pull the image from with blobflow\'s identity (AcrPull is granted on it). Empty: none, or the created one.')
param containerRegistryName string = ''

@description('Resource group of containerRegistryName.')
param containerRegistryResourceGroupName string = resourceGroup().name

@description('Create a Basic registry for the image (what `azd up` uses). Ignored when containerRegistryName is set.')
param createContainerRegistry bool = false

// --- storage ----------------------------------------------------------------------------------

@description('Allow Shared Key (account keys, key-signed SAS) on the data account. Off by default: blobflow and Event Grid use their managed identities.')
param allowSharedKeyAccess bool = false

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
@description('Redundancy of both storage accounts.')
param storageSkuName string = 'Standard_LRS'

@description('Container whose new blobs are work (BLOBFLOW_INPUT_CONTAINER).')
param inputContainerName string = 'input'

@description('Only blobs under this prefix are work (BLOBFLOW_INPUT_PREFIX; also Event Grid\'s subject filter).')
param inputPrefix string = ''

@description('Container results are uploaded to (BLOBFLOW_OUTPUT_CONTAINER).')
param outputContainerName string = 'output'

@description('Prefix of every output name (BLOBFLOW_OUTPUT_PREFIX).')
param outputPrefix string = ''

@description('Queue Event Grid writes BlobCreated events to (BLOBFLOW_QUEUE).')
param queueName string = 'blobflow-events'

@description('Queue dead-lettered messages go to (BLOBFLOW_POISON_QUEUE). Empty: QUEUE-poison.')
param poisonQueueName string = ''

@description('Container Event Grid writes events it could not deliver to.')
param deadLetterContainerName string = 'eventgrid-deadletters'

@description('Azure Files share for checkpoints, claims and dead-letter records.')
param checkpointShareName string = 'blobflow'

@minValue(1)
@maxValue(102400)
@description('Size limit of the checkpoint share in GiB.')
param checkpointShareQuotaGiB int = 100

@minValue(1)
@maxValue(365)
@description('Days deleted blobs and containers of the data account can be restored.')
param softDeleteRetentionDays int = 7

// --- Event Grid -------------------------------------------------------------------------------

@minValue(1)
@maxValue(30)
@description('Event Grid delivery attempts before an event is dead-lettered.')
param eventGridMaxDeliveryAttempts int = 30

@minValue(1)
@maxValue(1440)
@description('Minutes Event Grid keeps retrying an event.')
param eventGridEventTimeToLiveInMinutes int = 1440

// --- blobflow ---------------------------------------------------------------------------------

@allowed([
  'noop'
  'command'
])
@description('BLOBFLOW_PROCESSOR: noop (checkpoint and acknowledge only) or command (run your app, baked into the image).')
param processor string = 'noop'

@description('BLOBFLOW_COMMAND for the command processor, e.g. \'/app/run.sh {input} {output}\'.')
param command string = ''

@minValue(1)
@maxValue(256)
@description('BLOBFLOW_CONCURRENCY: blobs processed at once by one replica.')
param concurrency int = 4

@minValue(0)
@description('Scaler target: queue messages per replica (or per job execution). 0: the concurrency.')
param queueLengthPerReplica int = 0

@description('BLOBFLOW_PROCESS_TIMEOUT: longest one blob may take (a blobflow duration).')
param processTimeout string = '1h'

@minValue(1)
@maxValue(3600)
@description('BLOBFLOW_SHUTDOWN_GRACE in seconds: on SIGTERM, how long in-flight work may finish before it is released.')
param shutdownGraceSeconds int = 30

@minValue(1)
@maxValue(604800)
@description('BLOBFLOW_VISIBILITY_TIMEOUT in seconds.')
param visibilityTimeoutSeconds int = 300

@minValue(1)
@maxValue(100)
@description('BLOBFLOW_MAX_DEQUEUE_COUNT: attempts before an event is dead-lettered.')
param maxDequeueCount int = 5

@description('BLOBFLOW_WORK_DIR (staging). Empty: the image\'s default, /var/lib/blobflow/work on an EmptyDir volume of each replica (staging on the share costs ten times the share operations per file). A folder under /mnt/azurefiles/blobflow lets a retry on another replica resume a finished download.')
param workDir string = ''

@allowed([
  'trace'
  'debug'
  'info'
  'notice'
  'warning'
  'error'
  'critical'
])
param logLevel string = 'info'

@description('Extra environment variables for blobflow (or your app), as [{ name: ..., value: ... }].')
param extraEnv array = []

@description('vCPUs per replica (a Consumption profile combination, e.g. 0.5, 1.0, 2.0).')
param cpu string = '1.0'

@description('Memory per replica, twice the vCPUs in Gi (e.g. 2Gi for 1.0).')
param memory string = '2Gi'

@minValue(1)
@maxValue(65535)
@description('BLOBFLOW_HTTP_PORT: port of /healthz, /readyz and /metrics (probes only; no ingress).')
param httpPort int = 8080

// --- scaling ----------------------------------------------------------------------------------

@description('Run as an event-driven Container Apps Job (`blobflow run --exit-when-idle`) instead of a long-running Container App.')
param useJob bool = false

@minValue(0)
@maxValue(1000)
@description('Container App: replicas kept when the queue is empty (0: scale to zero).')
param minReplicas int = 0

@minValue(1)
@maxValue(1000)
@description('Container App: most replicas. Job: most executions started per polling interval.')
param maxReplicas int = 10

@minValue(1)
@description('Seconds between KEDA\'s looks at the queue.')
param scalePollingInterval int = 30

@minValue(0)
@description('Container App: seconds the queue must stay below target before replicas are removed.')
param scaleCooldownPeriod int = 300

@minValue(60)
@description('Job: longest an execution may run, in seconds; more than BLOBFLOW_PROCESS_TIMEOUT plus the idle time.')
param jobReplicaTimeoutSeconds int = 7200

@description('Job: the execution exits once the queue has been empty this long.')
param jobExitWhenIdle string = '60s'

// --- monitoring and operators -----------------------------------------------------------------

@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Send each replica\'s OpenTelemetry traces (one per event, a span per step) to a new Application Insights resource through the Container Apps environment\'s managed agent.')
param openTelemetryToAppInsights bool = false

@description('Optional principal id (user, group or service principal) given data access to the containers and queues, to upload test files and run `blobflow status` or replays from a workstation. azd passes the signed-in user.')
param operatorPrincipalId string = ''

// --- derived names ----------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var envTag = {
  'azd-env-name': environmentName
}
var allTags = union(tags, envTag)
var poisonQueue = empty(poisonQueueName) ? '${queueName}-poison' : poisonQueueName
var dataAccountName = 'st${resourceToken}'
var checkpointAccountName = 'stck${resourceToken}'
var consumerName = useJob ? 'caj-blobflow-${resourceToken}' : 'ca-blobflow-${resourceToken}'
var checkpointStorageName = 'checkpoints'
var createdRegistryName = 'cr${resourceToken}'
var useCreatedRegistry = createContainerRegistry && empty(containerRegistryName)
var registryName = useCreatedRegistry ? createdRegistryName : containerRegistryName
var registryServer = empty(registryName) ? '' : '${toLower(registryName)}${environment().suffixes.acrLoginServer}'
var scaleTarget = queueLengthPerReplica > 0 ? queueLengthPerReplica : concurrency
// The checkpoint share's SMB mount, the same for the app and the job (and the AKS example in the
// README). Replicas coordinate through it: a claim file one replica renews or releases must be
// seen by the others at once, but Container Apps mounts Azure Files with actimeo=30 by default,
// so a replica could act for up to 30 s on attributes and directory entries another replica has
// already replaced. actimeo=1 bounds that to a second (claims live for minutes) while keeping
// repeated lookups cheap; file contents stay coherent through SMB leases. uid/gid and the modes
// give the folder to blobflow's user (10001) and no one else, as the share root is mounted at
// /mnt/azurefiles and blobflow creates its `blobflow/` folder there.
var checkpointMountOptions = 'uid=10001,gid=10001,dir_mode=0770,file_mode=0660,actimeo=1'

// --- resources --------------------------------------------------------------------------------

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    dataAccountName: dataAccountName
    checkpointAccountName: checkpointAccountName
    location: location
    tags: allTags
    allowSharedKeyAccess: allowSharedKeyAccess
    skuName: storageSkuName
    inputContainerName: inputContainerName
    outputContainerName: outputContainerName
    deadLetterContainerName: deadLetterContainerName
    queueName: queueName
    poisonQueueName: poisonQueue
    checkpointShareName: checkpointShareName
    checkpointShareQuotaGiB: checkpointShareQuotaGiB
    softDeleteRetentionDays: softDeleteRetentionDays
  }
}

resource consumerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-blobflow-${resourceToken}'
  location: location
  tags: allTags
}

resource eventGridIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-eventgrid-${resourceToken}'
  location: location
  tags: allTags
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    dataAccountName: storage.outputs.dataAccountName
    inputContainerName: inputContainerName
    outputContainerName: outputContainerName
    deadLetterContainerName: deadLetterContainerName
    queueName: storage.outputs.workQueueName
    poisonQueueName: storage.outputs.poisonQueueName
    consumerPrincipalId: consumerIdentity.properties.principalId
    eventGridPrincipalId: eventGridIdentity.properties.principalId
    operatorPrincipalId: operatorPrincipalId
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  // Event Grid checks its access to the queue and container when the subscription is created.
  dependsOn: [
    roles
  ]
  params: {
    dataAccountId: storage.outputs.dataAccountId
    location: location
    tags: allTags
    systemTopicName: 'evgt-${resourceToken}'
    subscriptionName: 'blob-created-to-queue'
    eventGridIdentityId: eventGridIdentity.id
    inputContainerName: inputContainerName
    inputPrefix: inputPrefix
    queueName: storage.outputs.workQueueName
    deadLetterContainerName: deadLetterContainerName
    maxDeliveryAttempts: eventGridMaxDeliveryAttempts
    eventTimeToLiveInMinutes: eventGridEventTimeToLiveInMinutes
  }
}

module registry 'modules/registry.bicep' = if (useCreatedRegistry) {
  name: 'registry'
  params: {
    name: createdRegistryName
    location: location
    tags: allTags
  }
}

module registryPull 'modules/acr-pull.bicep' = if (!empty(registryName)) {
  name: 'registry-pull'
  scope: resourceGroup(useCreatedRegistry ? resourceGroup().name : containerRegistryResourceGroupName)
  dependsOn: [
    registry
  ]
  params: {
    registryName: registryName
    principalId: consumerIdentity.properties.principalId
  }
}

module containerEnvironment 'modules/environment.bicep' = {
  name: 'environment'
  params: {
    location: location
    tags: allTags
    logAnalyticsName: 'log-${resourceToken}'
    environmentName: 'cae-${resourceToken}'
    logRetentionDays: logRetentionDays
    checkpointAccountName: storage.outputs.checkpointAccountName
    checkpointShareName: storage.outputs.checkpointShareName
    storageName: checkpointStorageName
    openTelemetryToAppInsights: openTelemetryToAppInsights
    appInsightsName: 'appi-${resourceToken}'
  }
}

var baseEnv = [
  {
    name: 'AZURE_STORAGE_ACCOUNT'
    value: storage.outputs.dataAccountName
  }
  {
    // Picks blobflow's user-assigned identity (and azcopy's, through blobflow).
    name: 'AZURE_CLIENT_ID'
    value: consumerIdentity.properties.clientId
  }
  {
    name: 'BLOBFLOW_QUEUE'
    value: storage.outputs.workQueueName
  }
  {
    name: 'BLOBFLOW_POISON_QUEUE'
    value: storage.outputs.poisonQueueName
  }
  {
    name: 'BLOBFLOW_INPUT_CONTAINER'
    value: inputContainerName
  }
  {
    name: 'BLOBFLOW_OUTPUT_CONTAINER'
    value: outputContainerName
  }
  {
    name: 'BLOBFLOW_CHECKPOINT_DIR'
    value: '/mnt/azurefiles/blobflow'
  }
  {
    name: 'BLOBFLOW_PROCESSOR'
    value: processor
  }
  {
    name: 'BLOBFLOW_CONCURRENCY'
    value: string(concurrency)
  }
  {
    name: 'BLOBFLOW_PROCESS_TIMEOUT'
    value: processTimeout
  }
  {
    name: 'BLOBFLOW_SHUTDOWN_GRACE'
    value: '${shutdownGraceSeconds}s'
  }
  {
    name: 'BLOBFLOW_VISIBILITY_TIMEOUT'
    value: string(visibilityTimeoutSeconds)
  }
  {
    name: 'BLOBFLOW_MAX_DEQUEUE_COUNT'
    value: string(maxDequeueCount)
  }
  {
    name: 'BLOBFLOW_LOG_FORMAT'
    value: 'json'
  }
  {
    name: 'BLOBFLOW_LOG_LEVEL'
    value: logLevel
  }
]
var inputPrefixEnv = empty(inputPrefix) ? [] : [
  {
    name: 'BLOBFLOW_INPUT_PREFIX'
    value: inputPrefix
  }
]
var outputPrefixEnv = empty(outputPrefix) ? [] : [
  {
    name: 'BLOBFLOW_OUTPUT_PREFIX'
    value: outputPrefix
  }
]
var commandEnv = empty(command) ? [] : [
  {
    name: 'BLOBFLOW_COMMAND'
    value: command
  }
]
var workDirEnv = empty(workDir) ? [] : [
  {
    name: 'BLOBFLOW_WORK_DIR'
    value: workDir
  }
]
// Application Insights takes no metrics from the managed agent: keep them on /metrics.
var telemetryEnv = openTelemetryToAppInsights ? [
  {
    name: 'OTEL_METRICS_EXPORTER'
    value: 'none'
  }
  {
    name: 'OTEL_SERVICE_NAME'
    value: 'blobflow'
  }
] : []
var optionalEnv = concat(inputPrefixEnv, outputPrefixEnv, commandEnv, workDirEnv, telemetryEnv)
var httpEnv = [
  {
    name: 'BLOBFLOW_HTTP_PORT'
    value: string(httpPort)
  }
]

module consumerApp 'modules/consumer-app.bicep' = if (!useJob) {
  name: 'consumer-app'
  dependsOn: [
    roles
    registryPull
    eventGrid
  ]
  params: {
    name: consumerName
    location: location
    tags: allTags
    environmentId: containerEnvironment.outputs.environmentId
    identityId: consumerIdentity.id
    image: image
    usePlaceholder: empty(image)
    env: concat(baseEnv, optionalEnv, httpEnv, extraEnv)
    cpu: cpu
    memory: memory
    httpPort: httpPort
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    pollingInterval: scalePollingInterval
    cooldownPeriod: scaleCooldownPeriod
    queueLength: scaleTarget
    accountName: storage.outputs.dataAccountName
    queueName: storage.outputs.workQueueName
    // SIGTERM -> in-flight work gets BLOBFLOW_SHUTDOWN_GRACE -> the rest is released (a few
    // Update Message calls) -> exit 0; SIGKILL only after this.
    terminationGracePeriodSeconds: shutdownGraceSeconds + 15
    storageName: containerEnvironment.outputs.storageName
    mountOptions: checkpointMountOptions
    registryServer: registryServer
  }
}

module consumerJob 'modules/consumer-job.bicep' = if (useJob) {
  name: 'consumer-job'
  dependsOn: [
    roles
    registryPull
    eventGrid
  ]
  params: {
    name: consumerName
    location: location
    tags: allTags
    environmentId: containerEnvironment.outputs.environmentId
    identityId: consumerIdentity.id
    image: image
    usePlaceholder: empty(image)
    env: concat(baseEnv, optionalEnv, extraEnv)
    cpu: cpu
    memory: memory
    replicaTimeout: jobReplicaTimeoutSeconds
    exitWhenIdle: jobExitWhenIdle
    maxExecutions: maxReplicas
    pollingInterval: scalePollingInterval
    queueLength: scaleTarget
    accountName: storage.outputs.dataAccountName
    queueName: storage.outputs.workQueueName
    storageName: containerEnvironment.outputs.storageName
    mountOptions: checkpointMountOptions
    registryServer: registryServer
  }
}

// --- outputs (azd stores them in the environment's .env) ----------------------------------------

output AZURE_LOCATION string = location
output AZURE_STORAGE_ACCOUNT string = storage.outputs.dataAccountName
// Not named AZURE_CLIENT_ID: azd exports its outputs to hooks and tools, where that name would
// steer their own Azure sign-in.
output BLOBFLOW_IDENTITY_CLIENT_ID string = consumerIdentity.properties.clientId
output BLOBFLOW_QUEUE string = storage.outputs.workQueueName
output BLOBFLOW_POISON_QUEUE string = storage.outputs.poisonQueueName
output BLOBFLOW_INPUT_CONTAINER string = inputContainerName
output BLOBFLOW_OUTPUT_CONTAINER string = outputContainerName
output EVENTGRID_DEADLETTER_CONTAINER string = deadLetterContainerName
output CHECKPOINT_STORAGE_ACCOUNT string = storage.outputs.checkpointAccountName
output CONTAINER_APP_NAME string = consumerName
output CONTAINER_APP_KIND string = useJob ? 'job' : 'app'
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = containerEnvironment.outputs.environmentId
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registryServer
