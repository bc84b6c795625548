// blobflow as an event-driven Container Apps Job: every pollingInterval KEDA's azure-queue
// scaler looks at the work queue and starts executions (up to maxExecutions, each one replica)
// running `blobflow run --exit-when-idle IDLE`, which consumes until the queue has been empty
// for IDLE, then exits 0. Nothing runs, and nothing is billed, while the queue is empty.
//
// Executions are not retried by Container Apps (replicaRetryLimit 0): a failed event goes back to
// the queue with blobflow's own retry delay and dead-letter limit, and the next execution takes
// it. replicaTimeout must exceed BLOBFLOW_PROCESS_TIMEOUT plus the idle time; at the timeout the
// replica is stopped and its in-flight messages reappear after their visibility timeout.

param name string
param location string
param tags object
param environmentId string

@description('Resource id of blobflow\'s user-assigned identity.')
param identityId string

param image string

@description('True while no blobflow image exists yet (azd\'s first provision): a placeholder image is set until `azd deploy` sets the built one.')
param usePlaceholder bool

@description('Environment variables of the blobflow container.')
param env array

param cpu string
param memory string

@description('Longest an execution may run, in seconds.')
param replicaTimeout int

@description('Queue idle time after which an execution exits (a blobflow duration, e.g. 60s).')
param exitWhenIdle string

param maxExecutions int
param pollingInterval int

@description('Target messages per execution for the scaler.')
param queueLength int

param accountName string
param queueName string

@description('Name of the environment storage holding the checkpoint share.')
param storageName string

@description('Registry login server to pull from with the identity (empty: a public image).')
param registryServer string

@description('SMB mount options of the checkpoint share (see main.bicep: checkpointMountOptions).')
param mountOptions string

// azd finds the resource to deploy the image to by this tag (azure.yaml: service blobflow).
var serviceTag = {
  'azd-service-name': 'blobflow'
}

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: name
  location: location
  tags: union(tags, serviceTag)
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Event'
      replicaTimeout: replicaTimeout
      replicaRetryLimit: 0
      eventTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
        scale: {
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: pollingInterval
          rules: [
            {
              name: 'work-queue'
              type: 'azure-queue'
              metadata: {
                accountName: accountName
                queueName: queueName
                queueLength: string(queueLength)
              }
              identity: identityId
            }
          ]
        }
      }
      registries: empty(registryServer) ? [] : [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'blobflow'
          image: usePlaceholder ? 'mcr.microsoft.com/k8se/quickstart-jobs:latest' : image
          args: [
            'run'
            '--exit-when-idle'
            exitWhenIdle
          ]
          env: env
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          volumeMounts: [
            {
              volumeName: 'checkpoints'
              mountPath: '/mnt/azurefiles'
            }
            {
              // The image's BLOBFLOW_WORK_DIR: downloads and app outputs stay off the share.
              volumeName: 'work'
              mountPath: '/var/lib/blobflow/work'
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'checkpoints'
          storageType: 'AzureFile'
          storageName: storageName
          mountOptions: mountOptions
        }
        {
          name: 'work'
          storageType: 'EmptyDir'
        }
      ]
    }
  }
}

output name string = job.name
