// blobflow as a long-running Container App: `blobflow run` on every replica, from minReplicas
// to maxReplicas as KEDA's azure-queue scaler sees the work queue grow. The scaler counts every
// message, visible or in flight, so replicas busy with long jobs are not scaled in under them.
// Scaled-in replicas get SIGTERM and terminationGracePeriodSeconds to finish or release their
// work (BLOBFLOW_SHUTDOWN_GRACE plus a margin).

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

@description('Port of /healthz and /readyz (BLOBFLOW_HTTP_PORT).')
param httpPort int

param minReplicas int
param maxReplicas int
param pollingInterval int
param cooldownPeriod int

@description('Target messages per replica for the scaler.')
param queueLength int

param accountName string
param queueName string
param terminationGracePeriodSeconds int

@description('Name of the environment storage holding the checkpoint share.')
param storageName string

@description('Registry login server to pull from with the identity (empty: a public image).')
param registryServer string

@description('SMB mount options of the checkpoint share (see main.bicep: checkpointMountOptions).')
param mountOptions string

// The probes ask blobflow's operations port. The placeholder image azd provisions first serves on
// port 80, and a replica of it would fail these probes and with them the revision, so a
// placeholder gets none; they arrive with the next provision that knows the image (`azd provision`
// or `azd up` after the first `azd deploy`, or a deployment with `image` set).
var probes = [
  {
    type: 'Liveness'
    httpGet: {
      path: '/healthz'
      port: httpPort
    }
    initialDelaySeconds: 10
    periodSeconds: 30
    timeoutSeconds: 5
    failureThreshold: 3
  }
  {
    type: 'Readiness'
    httpGet: {
      path: '/readyz'
      port: httpPort
    }
    initialDelaySeconds: 5
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 3
  }
]

// azd finds the resource to deploy the image to by this tag (azure.yaml: service blobflow).
var serviceTag = {
  'azd-service-name': 'blobflow'
}

resource app 'Microsoft.App/containerApps@2025-01-01' = {
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
      activeRevisionsMode: 'Single'
      // No ingress: blobflow pulls its work; /healthz and /readyz serve the probes only.
      registries: empty(registryServer) ? [] : [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      terminationGracePeriodSeconds: terminationGracePeriodSeconds
      containers: [
        {
          name: 'blobflow'
          image: usePlaceholder ? 'mcr.microsoft.com/k8se/quickstart:latest' : image
          env: env
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          probes: usePlaceholder ? [] : probes
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
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        pollingInterval: pollingInterval
        cooldownPeriod: cooldownPeriod
        rules: [
          {
            name: 'work-queue'
            azureQueue: {
              accountName: accountName
              queueName: queueName
              queueLength: queueLength
              identity: identityId
            }
          }
        ]
      }
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

output name string = app.name
