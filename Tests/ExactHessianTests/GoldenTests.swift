import Foundation
import Testing
import MetaOptimize
import Networks

// Golden values of metaoptimize-hessian.md §6 (an independent float32 PyTorch implementation of the spec, verified
// against float64 finite differences and forward-mode AD): z_2…z_8, β_3…β_9 and the row of Y after step 8 of the
// exact mode, and the Hessian-free z_8 of the same configuration (MetaOptimizer), on the 8-sample golden problem.

struct GoldenRow: Sendable, CustomStringConvertible {
    var id: String
    var model: String
    var block: Int
    var base: BaseRule
    var kappa: Double
    var alpha0: Double
    var meta: MetaRule
    var eta: Double
    var gamma: Double
    var approximation: String
    var z: [Double]
    var beta: [Double]
    var yRow: [Double]
    var hessianFreeZ8: Double
    var description: String { id }

    var configuration: OptimizerConfiguration {
        OptimizerConfiguration(base: base, alpha0: alpha0, weightDecay: kappa, meta: meta, metaStepSize: eta,
                               gamma: gamma, granularity: block > 0 || id.hasPrefix("K") ? .blocks([2, 2]) : .scalar)
    }
}

let goldenRows: [GoldenRow] = [
    GoldenRow(id: "A1", model: "lin", block: 0, base: .sgd, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0856781676, -0.0926668644, -0.152777061, -0.229009897, -0.246488839, 0.188812077, -0.103321001],
              beta: [], yRow: [], hessianFreeZ8: -0.0739557967),
    GoldenRow(id: "A2", model: "lin", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0828646794, -0.0876972675, -0.14637512, -0.220522463, -0.238030612, 0.191747636, -0.114213198],
              beta: [], yRow: [], hessianFreeZ8: -0.0852393657),
    GoldenRow(id: "A3", model: "lin", block: 0, base: .sgdm, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [0, -0.00507888943, -0.0187132377, -0.046348922, -0.0600532964, 0.028209921, 0.022722654],
              beta: [], yRow: [], hessianFreeZ8: 0.0230282154),
    GoldenRow(id: "A4", model: "lin", block: 0, base: .sgdm, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [0.00346550695, 0.00031445967, -0.0129071493, -0.040419329, -0.0540516302, 0.0358832516, 0.0143677779],
              beta: [], yRow: [], hessianFreeZ8: 0.0146867763),
    GoldenRow(id: "A5", model: "lin", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0268139914, -0.0344559625, -0.093080759, -0.194277197, -0.215786874, 0.0755038783, -0.03126169],
              beta: [], yRow: [], hessianFreeZ8: -0.0276772231),
    GoldenRow(id: "A6", model: "lin", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0264875051, -0.033923611, -0.0924581513, -0.193474621, -0.214880899, 0.0761182457, -0.0321304128],
              beta: [], yRow: [], hessianFreeZ8: -0.0285338163),
    GoldenRow(id: "A7", model: "mlp", block: 0, base: .sgd, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0886164904, -0.156278938, -0.21595329, -0.273553401, -0.336425811, 0.260095686, 0.131983131],
              beta: [], yRow: [], hessianFreeZ8: 0.175425619),
    GoldenRow(id: "A8", model: "mlp", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0857428163, -0.149621934, -0.205909938, -0.258992374, -0.316798985, 0.242462739, 0.120421268],
              beta: [], yRow: [], hessianFreeZ8: 0.160916045),
    GoldenRow(id: "A9", model: "mlp", block: 0, base: .sgdm, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [0, -0.0085832011, -0.0231825709, -0.0436949283, -0.0721939132, 0.050096672, 0.0754119605],
              beta: [], yRow: [], hessianFreeZ8: 0.0759618133),
    GoldenRow(id: "A10", model: "mlp", block: 0, base: .sgdm, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [0.0025933492, -0.00467869639, -0.0191892684, -0.0393520221, -0.0697289854, 0.0457767583, 0.077585943],
              beta: [], yRow: [], hessianFreeZ8: 0.078291066),
    GoldenRow(id: "A11", model: "mlp", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0252547003, -0.0639276952, -0.131506085, -0.215346083, -0.300361991, 0.184431434, 0.166944608],
              beta: [], yRow: [], hessianFreeZ8: 0.172181651),
    GoldenRow(id: "A12", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0249893796, -0.0634418428, -0.130770534, -0.214160874, -0.298647672, 0.183203131, 0.166512996],
              beta: [], yRow: [], hessianFreeZ8: 0.171727732),
    GoldenRow(id: "S13", model: "lin", block: 0, base: .sgd, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0856781676, -0.0922569931, -0.151362717, -0.225717008, -0.242901504, 0.187276185, -0.105755791],
              beta: [-2.30172825, -2.30080557, -2.29929185, -2.29703474, -2.29460573, -2.29647851, -2.29542089], yRow: [0.998035491], hessianFreeZ8: -0.0774332136),
    GoldenRow(id: "S14", model: "lin", block: 0, base: .sgd, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0856781676, -0.0922569931, -0.151367545, -0.225732833, -0.242947549, 0.187386736, -0.105981633],
              beta: [-2.30172825, -2.30080557, -2.29929185, -2.2970345, -2.29460502, -2.29647899, -2.29541922], yRow: [], hessianFreeZ8: -0.0774332136),
    GoldenRow(id: "S15", model: "lin", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0828646794, -0.0873124599, -0.145021319, -0.217352629, -0.234602183, 0.190069199, -0.116339557],
              beta: [-2.30175638, -2.30088329, -2.29943299, -2.29725957, -2.29491353, -2.2968142, -2.29565072], yRow: [0.99816817], hessianFreeZ8: -0.0883889347),
    GoldenRow(id: "S16", model: "lin", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0828646794, -0.0873124599, -0.145025611, -0.217366591, -0.234643102, 0.19016999, -0.116551101],
              beta: [-2.30175638, -2.30088329, -2.29943299, -2.29725933, -2.29491282, -2.29681444, -2.29564881], yRow: [], hessianFreeZ8: -0.0883889347),
    GoldenRow(id: "S17", model: "lin", block: 0, base: .sgdm, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [0, -0.00507888943, -0.0186498016, -0.0460010767, -0.0594543442, 0.0279222466, 0.0224252306],
              beta: [-2.30258512, -2.30253434, -2.3023479, -2.30188799, -2.30129337, -2.30157256, -2.30179691], yRow: [0.999940336], hessianFreeZ8: 0.0227212664),
    GoldenRow(id: "S18", model: "lin", block: 0, base: .sgdm, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [0, -0.00507888943, -0.0186498016, -0.0460010841, -0.0594544113, 0.0279224571, 0.0224256739],
              beta: [-2.30258512, -2.30253434, -2.3023479, -2.30188799, -2.30129337, -2.30157256, -2.30179691], yRow: [], hessianFreeZ8: 0.0227212664),
    GoldenRow(id: "S19", model: "lin", block: 0, base: .sgdm, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [0.00346550695, 0.000287368195, -0.0129011376, -0.0401547179, -0.0535591878, 0.0353945307, 0.0143047571],
              beta: [-2.3026197, -2.30262256, -2.30249357, -2.30209208, -2.30155659, -2.30191064, -2.30205369], yRow: [0.99994576], hessianFreeZ8: 0.0146136656),
    GoldenRow(id: "S20", model: "lin", block: 0, base: .sgdm, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [0.00346550695, 0.000287368195, -0.0129011385, -0.040154729, -0.0535592325, 0.0353946947, 0.014305044],
              beta: [-2.3026197, -2.30262256, -2.30249357, -2.30209208, -2.30155659, -2.30191064, -2.30205369], yRow: [], hessianFreeZ8: 0.0146136656),
    GoldenRow(id: "S21", model: "lin", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0268139914, -0.0343520679, -0.0924784541, -0.192150056, -0.212932885, 0.0746968463, -0.0318569019],
              beta: [-4.60490227, -4.60455894, -4.60363436, -4.6017127, -4.59958315, -4.60033035, -4.60001183], yRow: [0.999062538], hessianFreeZ8: -0.0283698738),
    GoldenRow(id: "S22", model: "lin", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0268139914, -0.0343520679, -0.0924788117, -0.192151755, -0.212940484, 0.0747137368, -0.0318899825],
              beta: [-4.60490227, -4.60455894, -4.60363436, -4.6017127, -4.59958315, -4.60033035, -4.60001135], yRow: [], hessianFreeZ8: -0.0283698738),
    GoldenRow(id: "S23", model: "lin", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0264875051, -0.0338224098, -0.0918619037, -0.191358551, -0.212042183, 0.0752934888, -0.0326994881],
              beta: [-4.60490561, -4.60456753, -4.60364914, -4.60173559, -4.5996151, -4.60036802, -4.60004091], yRow: [0.999070883], hessianFreeZ8: -0.0292006806),
    GoldenRow(id: "S24", model: "lin", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0264875051, -0.0338224098, -0.0918622464, -0.191360176, -0.212049618, 0.0753102079, -0.032732442],
              beta: [-4.60490561, -4.60456753, -4.60364914, -4.60173559, -4.5996151, -4.60036802, -4.60004091], yRow: [], hessianFreeZ8: -0.0292006806),
    GoldenRow(id: "S25", model: "mlp", block: 0, base: .sgd, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0886164904, -0.155507058, -0.213941798, -0.269820154, -0.33060652, 0.25404954, 0.124132052],
              beta: [-2.30169892, -2.30014396, -2.29800463, -2.29530644, -2.29200029, -2.29454088, -2.29578209], yRow: [0.99696964], hessianFreeZ8: 0.165860325),
    GoldenRow(id: "S26", model: "mlp", block: 0, base: .sgd, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0886164904, -0.155507058, -0.213944137, -0.269833505, -0.330646038, 0.254091263, 0.124079585],
              beta: [-2.30169892, -2.30014396, -2.29800463, -2.29530621, -2.29199982, -2.29454064, -2.29578137], yRow: [], hessianFreeZ8: 0.165860325),
    GoldenRow(id: "S27", model: "mlp", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0857428163, -0.148883045, -0.203989789, -0.255443871, -0.311279297, 0.236736819, 0.112880096],
              beta: [-2.30172777, -2.30023885, -2.29819894, -2.29564452, -2.29253173, -2.29489899, -2.2960279], yRow: [0.997193694], hessianFreeZ8: 0.151737943),
    GoldenRow(id: "S28", model: "mlp", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0857428163, -0.148883045, -0.203992188, -0.255457103, -0.311317742, 0.236776456, 0.112826005],
              beta: [-2.30172777, -2.30023885, -2.29819894, -2.29564428, -2.29253101, -2.29489875, -2.29602695], yRow: [], hessianFreeZ8: 0.151737943),
    GoldenRow(id: "S29", model: "mlp", block: 0, base: .sgdm, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [0, -0.0085832011, -0.0231027752, -0.0433969721, -0.0714795291, 0.049371466, 0.0741139203],
              beta: [-2.30258512, -2.30249929, -2.30226827, -2.30183434, -2.30111957, -2.30161333, -2.30235457], yRow: [0.999866247], hessianFreeZ8: 0.0746436492),
    GoldenRow(id: "S30", model: "mlp", block: 0, base: .sgdm, kappa: 0, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [0, -0.0085832011, -0.0231027752, -0.0433969796, -0.0714795738, 0.0493715629, 0.0741143748],
              beta: [-2.30258512, -2.30249929, -2.30226827, -2.30183434, -2.30111957, -2.30161333, -2.30235457], yRow: [], hessianFreeZ8: 0.0746436492),
    GoldenRow(id: "S31", model: "mlp", block: 0, base: .sgdm, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [0.0025933492, -0.00469802227, -0.0191472229, -0.0391107015, -0.0690380409, 0.0451486297, 0.0761869699],
              beta: [-2.30261111, -2.30256414, -2.30237269, -2.30198169, -2.30129123, -2.30174279, -2.30250478], yRow: [0.999843836], hessianFreeZ8: 0.0768643394),
    GoldenRow(id: "S32", model: "mlp", block: 0, base: .sgdm, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [0.0025933492, -0.00469802227, -0.0191472229, -0.0391107276, -0.0690382048, 0.0451488793, 0.07618808],
              beta: [-2.30261111, -2.30256414, -2.30237269, -2.30198169, -2.30129123, -2.30174279, -2.30250478], yRow: [], hessianFreeZ8: 0.0768643394),
    GoldenRow(id: "S33", model: "mlp", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0252547003, -0.063710466, -0.130693451, -0.21324271, -0.296573877, 0.181666657, 0.163233787],
              beta: [-4.60491753, -4.60428047, -4.60297346, -4.60084105, -4.59787512, -4.59969187, -4.60132408], yRow: [0.998074591], hessianFreeZ8: 0.168362752),
    GoldenRow(id: "S34", model: "mlp", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0252547003, -0.063710466, -0.130693376, -0.213243082, -0.296578526, 0.181676567, 0.163252488],
              beta: [-4.60491753, -4.60428047, -4.60297346, -4.60084105, -4.59787512, -4.59969187, -4.60132456], yRow: [], hessianFreeZ8: 0.168362752),
    GoldenRow(id: "S35", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0249893796, -0.0632269979, -0.129964232, -0.212071598, -0.294882953, 0.180455685, 0.162801504],
              beta: [-4.60492039, -4.6042881, -4.60298824, -4.60086775, -4.59791899, -4.59972334, -4.60135126], yRow: [0.998084426], hessianFreeZ8: 0.167908326),
    GoldenRow(id: "S36", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0249893796, -0.0632269979, -0.129964173, -0.21207206, -0.2948879, 0.180465743, 0.162820384],
              beta: [-4.60492039, -4.6042881, -4.60298824, -4.60086775, -4.59791899, -4.59972382, -4.60135221], yRow: [], hessianFreeZ8: 0.167908326),
    GoldenRow(id: "D37", model: "lin", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0268139914, -0.0343520679, -0.09308514, -0.194929704, -0.218743354, 0.0798556134, -0.0380560681],
              beta: [-4.59103155, -4.56779337, -4.53945541, -4.50639677, -4.46602631, -4.43459654, -4.40122795], yRow: [], hessianFreeZ8: -0.0337355062),
    GoldenRow(id: "D38", model: "lin", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0268139914, -0.0343520679, -0.09308514, -0.194929913, -0.218762577, 0.0799006075, -0.038132824],
              beta: [-4.59103155, -4.56779337, -4.53945541, -4.50639677, -4.46602678, -4.43460131, -4.40123177], yRow: [0.998427749], hessianFreeZ8: -0.0337355062),
    GoldenRow(id: "D39", model: "lin", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0264875051, -0.0338224098, -0.0924658999, -0.194127947, -0.217825949, 0.0804554969, -0.0389351323],
              beta: [-4.59103155, -4.56779099, -4.53949118, -4.50647402, -4.46613503, -4.43483829, -4.40151978], yRow: [], hessianFreeZ8: -0.0346023366),
    GoldenRow(id: "D40", model: "lin", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0264875051, -0.0338224098, -0.0924658999, -0.194128141, -0.217845052, 0.0805003792, -0.0390118286],
              beta: [-4.59103155, -4.56779099, -4.53949118, -4.50647402, -4.4661355, -4.43484354, -4.40152407], yRow: [0.998389721], hessianFreeZ8: -0.0346023366),
    GoldenRow(id: "D41", model: "mlp", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0252547003, -0.063710466, -0.131619915, -0.216771394, -0.304389954, 0.196145684, 0.174814954],
              beta: [-4.59103155, -4.56919479, -4.54098797, -4.50652122, -4.46579695, -4.44180298, -4.43058538], yRow: [], hessianFreeZ8: 0.180943504),
    GoldenRow(id: "D42", model: "mlp", block: 0, base: .adamw, kappa: 0, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0252547003, -0.063710466, -0.131619915, -0.216774881, -0.304409415, 0.196176514, 0.174861804],
              beta: [-4.59103155, -4.56919479, -4.54098797, -4.5065217, -4.4657979, -4.44180632, -4.43059301], yRow: [0.980113685], hessianFreeZ8: 0.180943504),
    GoldenRow(id: "D43", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "l",
              z: [-0.0249893796, -0.0632269979, -0.130885243, -0.215575069, -0.302625477, 0.194794565, 0.174264491],
              beta: [-4.59103155, -4.56920338, -4.54101133, -4.50655603, -4.46583843, -4.44183207, -4.43063688], yRow: [], hessianFreeZ8: 0.180363879),
    GoldenRow(id: "D44", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .adam, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0249893796, -0.0632269979, -0.130885243, -0.215578705, -0.302645504, 0.194825888, 0.174311757],
              beta: [-4.59103155, -4.56920338, -4.54101133, -4.50655603, -4.46583891, -4.44183493, -4.43064404], yRow: [0.980181932], hessianFreeZ8: 0.180363879),
    GoldenRow(id: "K45", model: "mlp", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.00662913173, -0.0108390441, -0.0293900371, -0.0543115884, -0.0754553601, -0.0247542337, 0.00297648041],
              beta: [], yRow: [], hessianFreeZ8: 0.00259789615),
    GoldenRow(id: "K46", model: "mlp", block: 1, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0791136846, -0.138782889, -0.176519901, -0.2046808, -0.241343603, 0.26721698, 0.117444798],
              beta: [], yRow: [], hessianFreeZ8: 0.158318147),
    GoldenRow(id: "K47", model: "mlp", block: 0, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.00662913173, -0.0107920077, -0.0291821659, -0.0537157729, -0.0745446607, -0.024473384, 0.00287797139],
              beta: [-2.30251884, -2.30241084, -2.30211902, -2.30158186, -2.30083632, -2.30059171, -2.30062056], yRow: [0.999726713, -0.000239418863], hessianFreeZ8: 0.00252125436),
    GoldenRow(id: "K48", model: "mlp", block: 1, base: .sgd, kappa: 0.1, alpha0: 0.1, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0791136846, -0.138091043, -0.174792349, -0.201666683, -0.236590102, 0.260999084, 0.110134296],
              beta: [-2.30179405, -2.30041313, -2.29866529, -2.2966485, -2.29428267, -2.29689264, -2.2979939], yRow: [-0.000239418892, 0.997950137], hessianFreeZ8: 0.149315864),
    GoldenRow(id: "K49", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.00455513317, -0.00713731721, -0.0309221465, -0.0680932775, -0.0818718001, -0.0271443818, 0.000809786667],
              beta: [], yRow: [], hessianFreeZ8: 0.000289764663),
    GoldenRow(id: "K50", model: "mlp", block: 1, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 0, gamma: 1, approximation: "l",
              z: [-0.0204342455, -0.0563045256, -0.0998483747, -0.14606759, -0.216775864, 0.210347518, 0.165703237],
              beta: [], yRow: [], hessianFreeZ8: 0.171437964),
    GoldenRow(id: "K51", model: "mlp", block: 0, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.00455513317, -0.00711623626, -0.0307712834, -0.0674368143, -0.0808233991, -0.0268382784, 0.000790917315],
              beta: [-4.60512447, -4.60505342, -4.60474586, -4.60407162, -4.60326338, -4.60299492, -4.60300303], yRow: [0.999697089, -2.43068025e-05], hessianFreeZ8: 0.000281331944),
    GoldenRow(id: "K52", model: "mlp", block: 1, base: .adamw, kappa: 0.1, alpha0: 0.01, meta: .sgd, eta: 1e-2, gamma: 0.99, approximation: "2x2",
              z: [-0.0204342455, -0.0561107621, -0.0991869122, -0.144604191, -0.213975728, 0.207180589, 0.161904737],
              beta: [-4.60496569, -4.60440445, -4.60341263, -4.60196638, -4.59982681, -4.60189867, -4.60351753], yRow: [-2.43068025e-05, 0.998438299], hessianFreeZ8: 0.16750741),
]

/// Runs the golden problem for 8 steps; returns z and β after every step and the final Y.
func runGolden(_ row: GoldenRow) throws -> (z: [[Float]], beta: [[Float]], y: [Float], free: [[Float]]) {
    let harness = try HessianHarness(try goldenNetwork(row.model))
    let exact = try ExactHessianMetaOptimizer(
        tensors: harness.tensors, configuration: row.configuration,
        approximation: try HessianApproximation(parsing: row.approximation), totalSteps: 8, oracle: harness.oracle)
    var zs: [[Float]] = [], betas: [[Float]] = []
    for t in 0..<8 {
        let x = goldenSample(t)
        let loss = harness.trainStep(x, [goldenLabel(x)])
        #expect(exact.step(weights: harness.network.parameters, gradients: UnsafeBufferPointer(harness.network.gradients),
                           loss: loss))
        zs.append(exact.metaGradients)
        betas.append(exact.logStepSizes)
    }
    let freeNetwork = try goldenNetwork(row.model)
    let free = try MetaOptimizer(tensors: harness.tensors, configuration: row.configuration, totalSteps: 8)
    var freeZ: [[Float]] = []
    for t in 0..<8 {
        let x = goldenSample(t)
        let loss = freeNetwork.trainStep(inputs: x, labels: [goldenLabel(x)])
        free.step(weights: freeNetwork.parameters, gradients: UnsafeBufferPointer(freeNetwork.gradients), loss: loss)
        freeZ.append(free.metaGradients)
    }
    return (zs, betas, exact.metaStateSensitivity, freeZ)
}

struct ExactGoldenTests {
    @Test("exact mode reproduces the spec's golden z, β and Y (Tables A, S, D, K) within the spec's tolerances",
          arguments: goldenRows)
    func goldenRow(_ row: GoldenRow) throws {
        let (z, beta, y, free) = try runGolden(row)
        let j = row.block
        #expect(z[0][j] == 0, "\(row.id): z_1 must be 0")
        for t in 0..<7 {
            let found = Double(z[t + 1][j]), expected = row.z[t]
            #expect(abs(found - expected) <= 1e-5 * max(abs(expected), 1e-2),
                    "\(row.id) z_\(t + 2): \(found) vs \(expected)")
        }
        for (t, expected) in row.beta.enumerated() {
            let found = Double(beta[t + 1][j])
            #expect(abs(found - expected) <= 1e-6, "\(row.id) β_\(t + 3): \(found) vs \(expected)")
        }
        if row.beta.isEmpty {
            #expect(beta.allSatisfy { $0[j] == Float(log(Float(row.alpha0))) }, "\(row.id): β must stay constant")
        }
        let k = row.configuration.granularity == .scalar ? 1 : 2
        if !row.yRow.isEmpty {
            for (col, expected) in row.yRow.enumerated() {
                let found = Double(y[j * k + col])
                #expect(abs(found - expected) <= 1e-6, "\(row.id) Y_9[\(j)][\(col)]: \(found) vs \(expected)")
            }
        } else if row.approximation == "l" {
            #expect(y[j * k + j] == 1)
        }
        let freeZ8 = Double(free[7][j])
        #expect(abs(freeZ8 - row.hessianFreeZ8) <= 1e-5 * max(abs(row.hessianFreeZ8), 1e-2),
                "\(row.id) Hessian-free z_8: \(freeZ8) vs \(row.hessianFreeZ8)")
    }

    @Test("golden values of the spec (PyTorch autograd, float32): lin and mlp at sample 0 with V = g")
    func specGoldenValues() throws {
        let x = goldenSample(0)
        #expect(goldenLabel(x) == 0)
        for model in ["lin", "mlp"] {
            let network = try goldenNetwork(model)
            let hvp = try HessianVectorProduct(network: network)
            let loss = network.trainStep(inputs: x, labels: [0])
            let g = Array(network.gradients)
            let hg = hvp.product(inputs: x, batchSize: 1, vector: g)
            func close(_ a: Double, _ b: Double, _ what: String) {
                #expect(abs(a - b) <= 2e-6 * max(abs(b), 1e-2), "\(model) \(what): \(a) vs \(b)")
            }
            if model == "lin" {
                close(Double(loss), 0.695525646, "loss")
                close(dotDouble(g, g), 1.27785403, "⟨g,g⟩")
                close(dotDouble(g, hg), 1.63545045, "⟨g,Hg⟩")
                close(Double(hg[0]), -0.549201608, "(Hg)_W[0][0]")
                for (i, b) in [-0.63740921, 0.409120291, 0.228288919].enumerated() {
                    close(Double(hg[12 + i]), b, "(Hg)_b[\(i)]")
                }
            } else {
                close(Double(loss), 0.913588583, "loss")
                close(dotDouble(g, g), 0.931082346, "⟨g,g⟩")
                close(dotDouble(g, hg), 0.145641528, "⟨g,Hg⟩")
                close(Double(hg[0]), 0.223876357, "(Hg)_W1[0][0]")
                for (i, b) in [-0.373440653, 0.153444022, 0.219996601].enumerated() {
                    close(Double(hg[24 + i]), b, "(Hg)_b2[\(i)]")
                }
            }
        }
    }

}

struct AutodiffGoldenTests {
    /// Values printed by Benchmarks/scripts/hvp_golden_torch.py (PyTorch autograd, reverse over reverse, float64)
    /// and, digit for digit the same, by hvp_golden.py (JAX forward over reverse), whose docstrings define the
    /// problem: batch 3, p[e] = 0.45·sin(0.7e + 0.3), x[b][k] = cos(0.9b + 0.31k + 0.2),
    /// labels 2 0 1, V[e] = sin(0.37e + 0.1).
    static let cases: [(model: String, loss: Double, vHv: Double, picks: [Double], maxAbs: Double)] = [
        ("linear", 0.818053765, 3.16488651, [0.209401413, 0.213588988, 0.157957], 0.490298782),
        ("mlp:6,4", 1.09006008, 0.19957819, [-0.127487984, 0.0378225627, -0.150997273], 0.445733615),
    ]

    @Test("H·V of a batch of 3 (linear, two-hidden-layer ReLU MLP) matches an independent autodiff in float64",
          arguments: cases)
    func matchesAutodiff(model: String, loss: Double, vHv: Double, picks: [Double], maxAbs: Double) throws {
        let network = try Network(spec: try ModelSpec(parsing: model), input: InputShape(channels: 1, height: 1, width: 5),
                                  classes: 3, maxBatchSize: 3)
        let n = network.parameterCount
        for e in 0..<n { network.parameters[e] = Float(0.45 * sin(0.7 * Double(e) + 0.3)) }
        let v = (0..<n).map { Float(sin(0.37 * Double($0) + 0.1)) }
        let x = (0..<3).flatMap { b in (0..<5).map { k in Float(cos(0.9 * Double(b) + 0.31 * Double(k) + 0.2)) } }
        let hvp = try HessianVectorProduct(network: network)
        let found = network.trainStep(inputs: x, labels: [2, 0, 1])
        let hv = hvp.product(inputs: x, batchSize: 3, vector: v)
        #expect(abs(Double(found) - loss) <= 1e-6 * loss)
        #expect(abs(dotDouble(v, hv) - vHv) <= 1e-5 * abs(vHv))
        for (index, expected) in zip([0, 7, n - 1], picks) {
            #expect(abs(Double(hv[index]) - expected) <= 1e-5 * maxAbs, "\(model) HV[\(index)]: \(hv[index]) vs \(expected)")
        }
        #expect(abs(Double(hv.map(abs).max()!) - maxAbs) <= 1e-5 * maxAbs)
    }
}
